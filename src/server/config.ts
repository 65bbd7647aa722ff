/**
 * The server's settings: flags win over environment variables, which win over defaults
 * (CONTRACT.md). Parsed once here; the rest of the server trusts the typed result.
 */
import { resolve } from 'node:path';
import { badRequest } from '../lib/errors.js';
import { parseListen as parseHostPort } from '../lib/listen.js';

export interface ServerConfig {
  host: string;
  port: number;
  externalUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
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
}

export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_DATA_DIR = './data';

export function serverConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const listen = flags.listen ?? env.KUBEGATE_LISTEN ?? DEFAULT_LISTEN;
  const { host, port } = parseListen(listen, '--listen');
  const tlsCert = flags.tlsCert ?? env.KUBEGATE_TLS_CERT ?? undefined;
  const tlsKey = flags.tlsKey ?? env.KUBEGATE_TLS_KEY ?? undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw badRequest('--tls-cert and --tls-key go together: give both (or neither, for plain HTTP)');
  }
  const scheme = tlsCert ? 'https' : 'http';
  const externalUrl = normalizeUrl(flags.externalUrl ?? env.KUBEGATE_EXTERNAL_URL ?? `${scheme}://${hostForUrl(host)}:${port}`);
  const databaseUrl = flags.databaseUrl ?? env.KUBEGATE_DATABASE_URL ?? undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw badRequest('--database-url must be a postgres:// or postgresql:// URL; leave it out to use SQLite in the data dir');
  }
  const redisUrl = flags.redisUrl ?? env.KUBEGATE_REDIS_URL ?? undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw badRequest('--redis-url must be a redis:// or rediss:// URL');
  return {
    host,
    port,
    externalUrl,
    dataDir: resolve(flags.dataDir ?? env.KUBEGATE_DATA_DIR ?? DEFAULT_DATA_DIR),
    databaseUrl: emptyToUndefined(databaseUrl),
    redisUrl: emptyToUndefined(redisUrl),
    tlsCert,
    tlsKey,
    rootToken: emptyToUndefined(env.KUBEGATE_ROOT_TOKEN),
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

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
