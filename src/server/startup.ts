/**
 * What `kubegate server` checks and says around its start: a data dir it can write, the
 * errors a first start runs into worded with the flag and the way out (no stack trace),
 * the first root token kept in a file, and how clients come to trust the server.
 */
import { access, constants, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { KubegateError, isKubegateError } from '../lib/errors.js';
import { redactUrl } from '../lib/log.js';
import type { ServerConfig } from './config.js';
import type { KubegateServer } from './app.js';
import { CA_PEM_PATH } from './tls_routes.js';

/** The generated root token's file, as GitLab keeps `/etc/gitlab/initial_root_password`. */
export const INITIAL_ROOT_TOKEN_FILE = 'initial_root_token';

/** Creates the data dir if needed and proves it writable, before anything is put in it. */
export async function checkDataDir(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-test-${process.pid}`);
  try {
    // 0700 like everything the server keeps there (data_dir.ts); an existing one is left as it is.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await access(dataDir, constants.W_OK | constants.X_OK);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOTDIR' ? 'a file is in the way' : code;
    throw new KubegateError(
      'bad_request',
      `--data-dir ${dataDir}: cannot write there (${why}); give a directory the user running kubegate may write (--data-dir or KUBEGATE_DATA_DIR)`,
      { cause: err },
    );
  }
}

/** Rewords what fails at start (store, listener) so that it names the flag to change. */
export function describeStartupError(err: unknown, config: ServerConfig): KubegateError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const listen = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  if ((err as { syscall?: string }).syscall === 'listen') {
    if (code === 'EADDRINUSE') {
      return new KubegateError('bad_request', `--listen ${listen}: the port is already in use (another kubegate server, or another program); stop it, or choose another port with --listen HOST:PORT (KUBEGATE_LISTEN)`, { cause: err });
    }
    if (code === 'EACCES') {
      return new KubegateError('bad_request', `--listen ${listen}: permission denied (ports below 1024 need privileges); choose a port above 1023 with --listen, e.g. 127.0.0.1:8080`, { cause: err });
    }
    if (code === 'EADDRNOTAVAIL') {
      return new KubegateError('bad_request', `--listen ${listen}: this machine has no address ${config.host}; use one of its addresses, 127.0.0.1, or 0.0.0.0 for all`, { cause: err });
    }
  }
  if (config.databaseUrl && isKubegateError(err) && err.code === 'unavailable' && /^cannot use the database/.test(err.message)) {
    return new KubegateError(
      'unavailable',
      `--database-url ${redactUrl(config.databaseUrl)}: cannot connect (${databaseReason(err.cause)}); check the host, port, user, password and database name (--database-url or KUBEGATE_DATABASE_URL), or leave it out to use SQLite in the data dir`,
      { cause: err },
    );
  }
  return err;
}

function databaseReason(cause: unknown): string {
  const c = cause as { code?: string; message?: string; errors?: Array<{ message?: string }> } | undefined;
  const message = c?.message || c?.errors?.map((e) => e.message).join('; ') || c?.code || 'unknown error';
  return message.replace(/postgres(ql)?:\/\/[^\s]+/g, (u) => redactUrl(u));
}

/**
 * Keeps the generated root token in `<data-dir>/initial_root_token` (0600), written only
 * once the server listens, so a start that fails loses no token. Returns the file, or
 * null when it could not be written (the token is printed anyway).
 */
export async function writeInitialRootToken(dataDir: string, token: string): Promise<string | null> {
  const file = join(dataDir, INITIAL_ROOT_TOKEN_FILE);
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return file;
  } catch {
    return null;
  }
}

export function rootTokenNotice(token: string, file: string | null): string {
  const kept = file
    ? `It is also in ${file} (readable by you only): copy it somewhere safe, then delete that file.`
    : 'It could not be written to the data dir: copy it now.';
  return (
    `\nKubegate created the root administrator. Its personal access token is shown only this once:\n\n    ${token}\n\n` +
    `${kept}\nUse it as KUBEGATE_TOKEN (e.g. export KUBEGATE_TOKEN=$(cat ${file ?? '<file>'})). To choose it yourself, set KUBEGATE_ROOT_TOKEN before the first start.\n\n`
  );
}

/** How clients come to trust this server, printed at every start. */
export function tlsNotice(app: Pick<KubegateServer, 'tls' | 'trust' | 'config'>): string {
  const { tls, trust, config } = app;
  if (config.externalUrl.startsWith('http:')) {
    return (
      `\nWARNING: the external URL is ${config.externalUrl} (plain HTTP${tls ? '' : ', --no-tls'}).\n` +
      'kubectl sends no credentials over plain HTTP: CI jobs using this URL will get 401 (Unauthorized).\n' +
      'Use --no-tls only behind a proxy that terminates TLS, and set --external-url to its https:// URL.\n\n'
    );
  }
  if (!tls || !trust.caPem) return '';
  const where = tls.caFile ? ` (${tls.caFile})` : '';
  return (
    `\nKubegate serves HTTPS with a certificate from ${tls.source === 'generated' ? 'its own CA' : 'a private CA'}${where}.\n` +
    `  CA fingerprint (SHA-256): ${trust.fingerprint}\n` +
    `  Job kubeconfigs carry this CA. To fetch it yourself: curl -k ${config.externalUrl}${CA_PEM_PATH} -o kubegate-ca.pem\n` +
    '  and compare its fingerprint (openssl x509 -noout -fingerprint -sha256 -in kubegate-ca.pem) with the one above.\n\n'
  );
}
