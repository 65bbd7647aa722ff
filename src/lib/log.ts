import { pino, type Logger } from 'pino';
import { redactSecrets } from './redact.js';

export type { Logger };

/**
 * Paths that may carry secrets. Pino replaces them before a line is written, so a token
 * never reaches a log even when a whole request or config object is logged.
 */
const SECRET_HEADERS = ['authorization', '["private-token"]', '["job-token"]', '["deploy-token"]', 'cookie', '["set-cookie"]', '["proxy-authorization"]', '["x-gitlab-token"]', '["x-amz-security-token"]'];

export const REDACT_PATHS = [
  ...SECRET_HEADERS.map((h) => `req.headers${h.startsWith('[') ? h : `.${h}`}`),
  ...SECRET_HEADERS.map((h) => `res.headers${h.startsWith('[') ? h : `.${h}`}`),
  ...SECRET_HEADERS.map((h) => `headers${h.startsWith('[') ? h : `.${h}`}`),
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
      // The last line of defence: whatever a line holds (a URL with ?private_token=, an
      // error quoting a header), Kubegate tokens and credential query values go.
      hooks: { streamWrite: redactSecrets },
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
