/**
 * The server's settings: flags win over environment variables, which win over defaults
 * (CONTRACT.md). Parsed once here; the rest of the server trusts the typed result.
 */
import { resolve } from 'node:path';
import { badRequest } from '../lib/errors.js';
import { parseListen as parseHostPort } from '../lib/listen.js';
import { MIN_ROOT_TOKEN_LENGTH } from '../modules/identity/server.js';

export interface ServerConfig {
  host: string;
  port: number;
  externalUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /**
   * Plain HTTP (`--no-tls`), for a server behind a TLS-terminating proxy. Otherwise the
   * server speaks HTTPS: with `tlsCert`/`tlsKey`, else with a certificate it generates.
   */
  noTls: boolean;
  rootToken: string | undefined;
  /** Seals stored secrets (certificate-based cluster tokens); else a key file in the data dir. */
  secretKey: string | undefined;
  /** Tunnel timers; the defaults (tunnel/defaults.ts) unless a test or benchmark shrinks them. */
  tunnel?: TunnelTimerOverrides;
}

export interface TunnelTimerOverrides {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  pingAckTimeoutMs?: number;
  probeIdleMs?: number;
  establishTimeoutMs?: number;
  frameTimeoutMs?: number;
}

export interface ServerFlags {
  listen?: string | undefined;
  externalUrl?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** commander's `--no-tls` sets `tls: false`. */
  tls?: boolean | undefined;
  noTls?: boolean | undefined;
}

export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_DATA_DIR = './data';

export function serverConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const listen = flags.listen ?? env.KUBEGATE_LISTEN ?? DEFAULT_LISTEN;
  const { host, port } = parseListen(listen, '--listen');
  const tlsCert = flags.tlsCert ?? env.KUBEGATE_TLS_CERT ?? undefined;
  const tlsKey = flags.tlsKey ?? env.KUBEGATE_TLS_KEY ?? undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw badRequest(`--tls-cert and --tls-key go together: give both (or neither, and the server uses a certificate it generates in <data-dir>/tls/); only ${tlsCert === undefined ? '--tls-key' : '--tls-cert'} was given`);
  }
  const noTls = flags.noTls ?? (flags.tls === false ? true : undefined) ?? parseBoolean(env.KUBEGATE_NO_TLS, 'KUBEGATE_NO_TLS');
  if (noTls && tlsCert !== undefined) {
    throw badRequest('--no-tls and --tls-cert/--tls-key contradict each other: give the certificate to serve HTTPS, or --no-tls (KUBEGATE_NO_TLS=true) for plain HTTP behind a TLS-terminating proxy');
  }
  const scheme = noTls ? 'http' : 'https';
  const externalUrl = normalizeUrl(flags.externalUrl ?? env.KUBEGATE_EXTERNAL_URL ?? `${scheme}://${hostForUrl(host)}:${port}`);
  const databaseUrl = flags.databaseUrl ?? env.KUBEGATE_DATABASE_URL ?? undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw badRequest('--database-url must be a postgres:// or postgresql:// URL; leave it out to use SQLite in the data dir');
  }
  const redisUrl = flags.redisUrl ?? env.KUBEGATE_REDIS_URL ?? undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw badRequest('--redis-url must be a redis:// or rediss:// URL');
  const rootToken = emptyToUndefined(env.KUBEGATE_ROOT_TOKEN);
  // Checked here too (the store checks it again): a bad value stops the start before it listens.
  if (rootToken !== undefined && rootToken.length < MIN_ROOT_TOKEN_LENGTH) {
    throw badRequest(`KUBEGATE_ROOT_TOKEN must be at least ${MIN_ROOT_TOKEN_LENGTH} characters; use a long random string`);
  }
  return {
    host,
    port,
    externalUrl,
    dataDir: resolve(flags.dataDir ?? env.KUBEGATE_DATA_DIR ?? DEFAULT_DATA_DIR),
    databaseUrl: emptyToUndefined(databaseUrl),
    redisUrl: emptyToUndefined(redisUrl),
    tlsCert,
    tlsKey,
    noTls,
    rootToken,
    secretKey: emptyToUndefined(env.KUBEGATE_SECRET_KEY),
  };
}

export function parseListen(value: string, flag: string): { host: string; port: number } {
  try {
    return parseHostPort(value);
  } catch {
    throw badRequest(`${flag} must be HOST:PORT (e.g. 127.0.0.1:8080), not "${value}"`);
  }
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function normalizeUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(`--external-url must be an absolute http:// or https:// URL, not "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('--external-url must start with http:// or https://');
  return url.toString().replace(/\/+$/, '');
}

/** `true`/`1`/`yes` or `false`/`0`/`no`/empty, for boolean environment variables. */
function parseBoolean(value: string | undefined, name: string): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0' || v === 'no') return false;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  throw badRequest(`${name} must be true or false, not "${value}"`);
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
