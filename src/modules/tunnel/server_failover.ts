/**
 * A request never waits on a connection that stopped answering while another pod of the
 * agent is alive (see `TunnelServer.request`). While the answer's headers are awaited, a
 * connection that turns suspect (a ping went unanswered) gives its request up: an
 * idempotent one goes once more to another pod, any other fails at once.
 */
import type { ServerConnection } from './server_connection.js';
import type { ConnectionRegistry } from './server_registry.js';
import { Cancellation, type CancelSignal, type TunnelRequest } from './server_request.js';
import { TunnelRequestError } from './errors.js';

/** Bodiless GET, HEAD and OPTIONS: asking twice changes nothing. */
export function isRetryable(request: Pick<TunnelRequest, 'method' | 'body'>): boolean {
  const method = request.method.toUpperCase();
  return (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') && request.body == null;
}

const SUSPECT = new Error('the connection stopped answering pings');

export async function withFailover<R extends { signal?: CancelSignal | undefined }, T>(
  registry: ConnectionRegistry,
  conn: ServerConnection,
  request: R,
  retryable: boolean,
  send: (conn: ServerConnection, request: R) => Promise<T>,
): Promise<T> {
  const first = await attempt(registry, conn, request, send);
  if ('answer' in first) return first.answer;
  const other = registry.pick(conn.agentId, undefined, conn);
  if (!retryable || !other) {
    throw new TunnelRequestError(
      conn.agentId,
      `pod ${conn.info.podName || conn.connectionId} stopped answering before it answered this request${retryable ? '' : '; it may or may not have been applied: check, then retry'}`,
    );
  }
  // Once, and without failover: a second suspect pod would mean something larger is wrong.
  other.probeIfQuiet();
  return send(other, request);
}

async function attempt<R extends { signal?: CancelSignal | undefined }, T>(
  registry: ConnectionRegistry,
  conn: ServerConnection,
  request: R,
  send: (conn: ServerConnection, request: R) => Promise<T>,
): Promise<{ answer: T } | { suspect: true }> {
  const combined = new Cancellation();
  const parent = request.signal;
  const forward = (): void => combined.cancel(parent?.reason);
  if (parent?.aborted) forward();
  else parent?.addEventListener('abort', forward, { once: true });
  const stopWatching = conn.onSuspect(function giveUpOnSuspectConnection() {
    if (registry.pick(conn.agentId, undefined, conn)) combined.cancel(SUSPECT);
  });
  conn.probeIfQuiet();
  try {
    return { answer: await send(conn, { ...request, signal: combined }) };
  } catch (err) {
    if (combined.reason === SUSPECT && !parent?.aborted) return { suspect: true };
    throw err;
  } finally {
    stopWatching();
  }
}
