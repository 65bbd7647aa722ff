import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets. Pino replaces them before a line is written, so a token
 * never reaches a log even when a whole request or config object is logged.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["private-token"]',
  'req.headers["job-token"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers["private-token"]',
  'headers["job-token"]',
  'headers.cookie',
  'token',
  '*.token',
  'password',
  '*.password',
  'rootToken',
  'secretKey',
  'databaseUrl',
  'redisUrl',
];

/** Query parameters whose values never reach a log (`?private_token=`, a secret setting…). */
const SECRET_QUERY_PARAM = /token|secret|password|key|signature|credential/i;

/** The path and query of a request URL, the values of secret-looking parameters replaced. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return eq >= 0 && SECRET_QUERY_PARAM.test(decodeURIComponentSafe(name)) ? `${name}=[redacted]` : part;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * Fastify logs every incoming request under `req`; its own serializer writes the URL
 * with the query string, where GitLab-style clients may put a token or a secret setting.
 */
function serializeRequest(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: req.method, url: redactQuery(req.url ?? ''), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(name: string, options: LogOptions = {}): Logger {
  return pino(
    {
      name,
      level: options.level ?? process.env.KUBEGATE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Synchronous writes: a line is out before the call returns, so a crash loses no audit
    // line, and no thread-pool round trip per line (measured: a little more proxied
    // requests/s than asynchronous writes). stdout is a file or a container runtime's pipe.
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Hides the password of a connection URL (`postgres://user:secret@host/db`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
