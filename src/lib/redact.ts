/**
 * Secrets must never reach a log, whatever carries them: a header, a URL's query string
 * (`?private_token=`, `?job_token=`, GitLab's forms), an error message that quotes a URL.
 * `redactSecrets` is applied to every finished log line (see `createLogger`), so no call
 * site has to remember it; pino's path redaction still removes whole header values.
 */

/** The prefixes of Kubegate's own tokens (see `TOKEN_PREFIX`), followed by the secret. */
const KUBEGATE_TOKEN = /\b(kgpat|kgagent|kgjob)-[A-Za-z0-9_-]{8,}/g;

/**
 * Query parameter names that carry credentials: GitLab's `private_token`, `job_token`,
 * `access_token`, OAuth's `code` and `*_token`s, signatures, passwords, keys.
 */
const CREDENTIAL_PARAM = /token|secret|passw(or)?d|pwd|signature|credential|apikey|jwt|authorization|(^|[_.-])(key|auth|sig|code)$/i;

/** `?name=value` / `&name=value` inside a URL, wherever it appears in a line. */
const QUERY_PARAM = /([?&;])([^=&;?#\s"'\\]+)=([^&;#\s"'\\]*)/g;

export const REDACTED = '[redacted]';

/** `text` with Kubegate tokens and credential-bearing query parameter values replaced. */
export function redactSecrets(text: string): string {
  let out = text;
  if (out.includes('=')) out = out.replace(QUERY_PARAM, redactParam);
  if (out.includes('kg')) out = out.replace(KUBEGATE_TOKEN, (_m, prefix: string) => `${prefix}-${REDACTED}`);
  return out;
}

function redactParam(match: string, sep: string, name: string, value: string): string {
  if (value === '' || value === REDACTED) return match;
  return isCredentialParam(name) ? `${sep}${name}=${REDACTED}` : match;
}

function isCredentialParam(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A malformed escape: judge the name as written.
  }
  return CREDENTIAL_PARAM.test(decoded);
}

/** A URL (or path with query) with its credential-bearing query values and password hidden. */
export function redactUrlSecrets(url: string): string {
  return redactSecrets(url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)[^/@\s]*@/i, `$1${REDACTED}@`));
}
