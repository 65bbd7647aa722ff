import http2 from 'node:http2';
import { Readable, type Duplex } from 'node:stream';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ServerConnection } from './server_connection.js';
import { TunnelAbortedError, TunnelRequestError } from './errors.js';
import { CONNECTION_SPECIFIC_HEADERS, UPGRADE_HEADER, UPGRADED_HEADER } from './shared.js';

export type RequestHeaders = Record<string, string | string[] | number | undefined>;

/** A request to send to an agent pod. */
export interface TunnelRequest {
  method: string;
  /** Path and query, as the agent should see them (`/api/v1/pods?watch=1`). */
  path: string;
  /**
   * Headers in Node's shape (`IncomingHttpHeaders` fits). `Host` becomes `:authority`;
   * HTTP/1.1 connection headers are dropped because HTTP/2 forbids them.
   */
  headers?: RequestHeaders;
  /** The request body; none for a bodiless request. Streamed, never buffered. */
  body?: Readable | Buffer | string | null;
  /**
   * Aborting cancels the HTTP/2 stream (RST_STREAM CANCEL): the agent sees `aborted`. An
   * `AbortSignal` fits, or the lighter `Cancellation`.
   */
  signal?: CancelSignal;
  /** Use this connection (from `connections()`) instead of the least-loaded one. */
  connectionId?: number;
}

/** What `TunnelRequest.signal` needs: `AbortSignal` has it, and so has `Cancellation`. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A one-shot cancel signal for the request path. `AbortController` builds an
 * `EventTarget` per request, which costs about 2 % of the server's CPU per proxied
 * request; this holds at most a few listeners in an array.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> = [];

  cancel(reason: unknown = new Error('cancelled')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }
}

/** The agent's answer. `body` must be consumed or destroyed by the caller. */
export interface TunnelResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  connectionId: number;
  /**
   * After `body` ended early (error, or closed without its end): why, when the agent
   * connection carrying it went away ("the agent is stopping", "the agent missed its
   * heartbeats"…); null when the connection is fine (the agent reset just this stream).
   */
  connectionLost?(): Promise<string | null>;
  /** At the body's `end`: whether it was cut (reset, or its connection gone) rather than ended by the agent. */
  endedEarly?(): boolean;
}

/**
 * The answer to an upgrade. When `status` is 101, `stream` carries raw bytes both ways
 * (write: to the Kubernetes API; read: from it) until either side ends it. Otherwise it
 * is the response body to read (its writable side is already ended).
 */
export interface TunnelUpgradeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  stream: Duplex;
  connectionId: number;
}

/** Sends an ordinary request over `conn`; resolves when the answer's headers arrive. */
export async function sendRequest(conn: ServerConnection, request: TunnelRequest): Promise<TunnelResponse> {
  const stream = openStream(conn, request, http2Headers(request), request.body == null);
  if (request.body != null) sendBody(stream, request.body);
  const { status, headers } = await responseHeaders(conn, stream, request.signal);
  return { status, headers, body: stream, connectionId: conn.connectionId, connectionLost: () => (conn.goingAway ? conn.closedReason : Promise.resolve(null)),
    // A stream cut by its connection going away still emits 'end' (http2 closes it with
    // CANCEL): only a close without an error code is the agent's own end.
    endedEarly: () => (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) || conn.session.destroyed,
  };
}

/**
 * Sends an upgrade (exec, attach, port-forward) over `conn`. `upgrade` is the caller's
 * `Upgrade` header value (`SPDY/3.1`, `websocket`); see `UPGRADE_HEADER` for the protocol.
 */
export async function sendUpgrade(
  conn: ServerConnection,
  request: Omit<TunnelRequest, 'body'>,
  upgrade: string,
): Promise<TunnelUpgradeResponse> {
  const headers = http2Headers(request);
  // After the switch the stream carries raw protocol bytes, not a body. A caller's
  // `Content-Length: 0` (Go sends one on SPDY exec/port-forward POSTs) would make the
  // agent's HTTP/2 stack reset the stream at the first byte that exceeds it.
  delete headers['content-length'];
  headers[UPGRADE_HEADER] = upgrade;
  const stream = openStream(conn, request, headers, false);
  const answer = await responseHeaders(conn, stream, request.signal);
  const switched = answer.headers[UPGRADED_HEADER] === '101';
  delete answer.headers[UPGRADED_HEADER];
  if (!switched) stream.end();
  return { status: switched ? 101 : answer.status, headers: answer.headers, stream, connectionId: conn.connectionId };
}

function openStream(
  conn: ServerConnection,
  request: Pick<TunnelRequest, 'signal'>,
  headers: OutgoingHttpHeaders,
  endStream: boolean,
): http2.ClientHttp2Stream {
  if (request.signal?.aborted) throw new TunnelAbortedError({ cause: request.signal.reason });
  let stream: http2.ClientHttp2Stream;
  try {
    stream = conn.session.request(headers, { endStream });
  } catch (err) {
    throw new TunnelRequestError(conn.agentId, 'the connection is closing', { cause: err });
  }
  conn.activeStreams++;
  const signal = request.signal;
  const cancel = (): void => {
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  stream.once('close', function streamClosed() {
    conn.activeStreams--;
    signal?.removeEventListener('abort', cancel);
  });
  // Errors after the headers reach whoever reads the body (pipeline, for await); this
  // listener only keeps an unread, failed stream from crashing the process.
  stream.on('error', ignoreError);
  return stream;
}

function responseHeaders(
  conn: ServerConnection,
  stream: http2.ClientHttp2Stream,
  signal: CancelSignal | undefined,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise(function waitForHeaders(resolve, reject) {
    const onResponse = (raw: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void => {
      cleanup();
      const headers: IncomingHttpHeaders = {};
      for (const [name, value] of Object.entries(raw)) if (!name.startsWith(':')) headers[name] = value;
      resolve({ status: Number(raw[':status'] ?? 502), headers });
    };
    // When the connection itself went away, its reason ("the agent is stopping", "the
    // agent missed its heartbeats") says more than the stream's ECONNRESET or CANCEL.
    const failWith = (detail: string, err?: Error): void => {
      cleanup();
      if (signal?.aborted) return reject(new TunnelAbortedError({ cause: signal.reason }));
      if (!conn.goingAway) return reject(new TunnelRequestError(conn.agentId, detail, err ? { cause: err } : undefined));
      void conn.closedReason.then((reason) => reject(new TunnelRequestError(conn.agentId, `its connection ended (${reason})`, err ? { cause: err } : undefined)));
    };
    const onError = (err: Error): void => failWith(describeStreamError(err), err);
    const onClose = (): void => failWith(describeClose(stream.rstCode));
    const cleanup = (): void => {
      stream.off('response', onResponse);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    stream.on('response', onResponse);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function sendBody(stream: http2.ClientHttp2Stream, body: Readable | Buffer | string): void {
  if (!(body instanceof Readable)) {
    stream.end(body);
    return;
  }
  body.on('error', function bodyFailed() {
    // A broken upload must not look complete to the agent.
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.on('close', function stopReadingBody() {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(stream);
}

function http2Headers(request: Pick<TunnelRequest, 'method' | 'path' | 'headers'>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let authority = 'kubernetes';
  for (const [rawName, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name === 'host') authority = String(value);
    if (name.startsWith(':') || CONNECTION_SPECIFIC_HEADERS.has(name)) continue;
    // HTTP/2 allows `te` only as `trailers`.
    if (name === 'te' && String(value).toLowerCase() !== 'trailers') continue;
    out[name] = value;
  }
  out[':method'] = request.method.toUpperCase();
  out[':path'] = request.path;
  out[':authority'] = authority;
  return out;
}

function describeStreamError(err: Error): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_HTTP2_STREAM_ERROR') return `the agent reset the stream (${err.message})`;
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_SESSION_ERROR') return 'the connection closed';
  return err.message;
}

function describeClose(rstCode: number | undefined): string {
  if (rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) return 'the agent refused the stream (it is shutting down)';
  return 'the connection closed before the agent answered';
}

function ignoreError(): void {}
