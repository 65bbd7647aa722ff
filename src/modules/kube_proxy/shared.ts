/**
 * What the server and the agent agree on for proxied Kubernetes API requests: the
 * identity the agent must act as travels in one header, computed by the server from the
 * agent configuration; the agent turns it into `Impersonate-*` headers.
 */
export const IDENTITY_HEADER = 'kubegate-identity';

export type Identity =
  | { kind: 'agent' }
  | { kind: 'impersonate'; username: string; uid?: string | undefined; groups: string[]; extra: Record<string, string[]> };

export function encodeIdentity(identity: Identity): string {
  return Buffer.from(JSON.stringify(identity), 'utf8').toString('base64url');
}

/** Throws on anything malformed: the caller must then refuse the request (fail closed). */
export function decodeIdentity(value: string): Identity {
  const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Identity;
  if (parsed?.kind === 'agent') return { kind: 'agent' };
  if (parsed?.kind !== 'impersonate' || typeof parsed.username !== 'string' || parsed.username === '') {
    throw new Error('the identity sent by the server is malformed');
  }
  if (!Array.isArray(parsed.groups) || parsed.groups.some((g) => typeof g !== 'string')) throw new Error('the identity groups are malformed');
  for (const [k, v] of Object.entries(parsed.extra ?? {})) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`the identity extra "${k}" is malformed`);
  }
  return parsed;
}

/**
 * `Impersonate-*` headers for an identity. Extra keys are percent-encoded as client-go
 * does, since a key like `agent.gitlab.com/id` holds characters a header name cannot.
 */
export function impersonationHeaders(identity: Identity): Record<string, string | string[]> {
  if (identity.kind === 'agent') return {};
  const headers: Record<string, string | string[]> = { 'impersonate-user': identity.username };
  if (identity.uid) headers['impersonate-uid'] = identity.uid;
  if (identity.groups.length > 0) headers['impersonate-group'] = identity.groups;
  for (const [key, values] of Object.entries(identity.extra)) {
    headers[`impersonate-extra-${escapeExtraKey(key)}`] = values;
  }
  return headers;
}

const LEGAL_HEADER_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/** client-go's `headerKeyEscape`: keep HTTP token characters except '%', escape every other byte. */
export function escapeExtraKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && LEGAL_HEADER_CHAR.test(ch) && ch !== '%' ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Watches and followed logs: answers that last as long as the caller wants (`?watch=true`,
 * `/watch/…` paths, `?follow=true`). Both sides treat them apart from short requests.
 */
export function isLongStream(path: string): boolean {
  const [pathOnly = '', query = ''] = path.split('?', 2);
  if (pathOnly.includes('/watch/')) return true;
  if (query === '') return false;
  const params = new URLSearchParams(query);
  return ['watch', 'follow'].some((name) => ['true', '1'].includes(params.get(name) ?? ''));
}
