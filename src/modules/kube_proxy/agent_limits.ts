/**
 * How much one agent pod carries at once, and what a request past a limit gets: at once, a
 * Kubernetes `Status` that names the limit (429 or 503), never a silent wait.
 *
 * - Long-lived requests (watch, `logs -f`, exec, attach, port-forward) count against
 *   `maxLongStreams` (GitLab's agent carries 500; the default is twice that). Watches and
 *   followed logs are multiplexed over HTTP/2 to the API server, so they never hold a
 *   connection that short requests need; exec and port-forward have a connection each.
 * - Short requests use a pool of `SHORT_POOL_CONNECTIONS` connections; at most
 *   `MAX_QUEUED_SHORT_REQUESTS` more may wait for one.
 */
import type http2 from 'node:http2';

export const DEFAULT_MAX_LONG_STREAMS = 1_000;
export const SHORT_POOL_CONNECTIONS = 256;
export const MAX_QUEUED_SHORT_REQUESTS = 1_024;
/** HTTP/2 connections to the API server for long streams (at 100 streams each: 6,400). */
export const MAX_H2_SESSIONS = 64;
export interface AgentProxyLimits {
  maxLongStreams: number;
}

/** A counter with a ceiling: `tryTake` gives the release function, or null at the limit. */
export class Gauge {
  #count = 0;

  constructor(readonly limit: number) {}

  get count(): number {
    return this.#count;
  }

  tryTake(): (() => void) | null {
    if (this.#count >= this.limit) return null;
    this.#count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count--;
    };
  }
}

/**
 * Answers a refused request with a Kubernetes Status. No Retry-After: client-go would
 * quietly retry (kubectl's 429 handling), where the caller should see the limit at once.
 */
export function refuseAtLimit(res: http2.Http2ServerResponse, code: 429 | 503, message: string): void {
  if (res.stream.destroyed || res.stream.closed || res.headersSent) return;
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: code === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
    code,
    message: `kubegate agent: ${message}`,
  });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
