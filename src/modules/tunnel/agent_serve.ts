import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { WebSocketDuplex } from './stream.js';
import { startHeartbeat, startSessionHeartbeat } from './heartbeat.js';
import { watchFrames } from './frame_watch.js';
import { FRAME_TIMEOUT_MS } from './defaults.js';
import {
  AGENT_INFO_PATH,
  TUNNEL_CONTROL_HEADER,
  decodeCloseReason,
  encodeCloseReason,
  HTTP2_SESSION_OPTIONS,
  widenConnectionWindow,
  type AgentInfo,
} from './shared.js';

export type TunnelHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * The HTTP/2 server every tunnel connection of one agent process feeds. It answers the
 * server's control requests (`TUNNEL_CONTROL_HEADER`: `AGENT_INFO_PATH`) itself and gives
 * everything else to the caller's handler; a request without the control header never
 * reaches the agent's own endpoints, whatever its path.
 */
export function createAgentHttp2Server(
  handler: TunnelHandler,
  info: () => Promise<AgentInfo>,
  logger: Logger,
): http2.Http2Server {
  const server = http2.createServer(HTTP2_SESSION_OPTIONS, function tunnelRequest(req, res) {
    if (req.headers[TUNNEL_CONTROL_HEADER] !== undefined) {
      if (req.url === AGENT_INFO_PATH && req.method === 'GET') answerInfo(res, info);
      else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('kubegate agent: no such control endpoint\n');
      }
      return;
    }
    try {
      handler(req, res);
    } catch (err) {
      // One broken request must not take the connection (and every other stream) down.
      logger.error({ err, method: req.method, path: req.url }, 'the tunnel request handler threw');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('kubegate agent: internal error; see the agent logs\n');
      } else {
        res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
    }
  });
  server.on('stream', trackOpenStream);
  server.on('session', function tunedSession(session) {
    session.on('connect', () => widenConnectionWindow(session));
    // Session errors surface as the connection closing; the serve loop logs that once.
    session.on('error', ignore);
  });
  // No idle timeout: the server decides when a connection is no longer wanted.
  server.setTimeout(0);
  return server;
}

/** Streams still open per session, so a stop can reset them (see `cancelOpenStreams`). */
const OPEN_STREAMS = new WeakMap<http2.Http2Session, Set<http2.ServerHttp2Stream>>();
/** The highest stream id each session has seen: the GOAWAY of a graceful stop names it. */
const LAST_STREAM_ID = new WeakMap<http2.Http2Session, number>();

function trackOpenStream(stream: http2.ServerHttp2Stream): void {
  const session = stream.session;
  if (!session) return;
  let open = OPEN_STREAMS.get(session);
  if (!open) OPEN_STREAMS.set(session, (open = new Set()));
  open.add(stream);
  if (stream.id !== undefined) LAST_STREAM_ID.set(session, Math.max(LAST_STREAM_ID.get(session) ?? 0, stream.id));
  stream.once('close', () => open.delete(stream));
}

/**
 * At the end of the grace period: reset what still streams (a watch, a `logs -f`), so the server sees each one cut, not ended — and tells kubectl why — rather
 * than the clean end a torn-down session would give them.
 */
function cancelOpenStreams(session: http2.Http2Session): void {
  for (const stream of OPEN_STREAMS.get(session) ?? []) {
    // Not `close(CANCEL)`: it ends the writable side first, and the server would see the
    // stream's clean end. `destroy` with an error resets it at once (INTERNAL_ERROR).
    if (!stream.destroyed) stream.destroy(new Error('the agent is stopping'));
  }
}

/** After the grace period and the resets, how long the session may take to close itself. */
const CLOSE_AFTER_CANCEL_MS = 1_000;

function answerInfo(res: http2.Http2ServerResponse, info: () => Promise<AgentInfo>): void {
  info().then(
    (value) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    },
    () => {
      res.writeHead(500);
      res.end();
    },
  );
}

export interface ServeOptions {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** How long in-flight streams may run on after a stop before the socket closes. */
  shutdownGraceMs: number;
  /** How long the server may leave a WebSocket frame half-sent (default `FRAME_TIMEOUT_MS`). */
  frameTimeoutMs?: number;
  signal: AbortSignal;
}

/**
 * Serves HTTP/2 over one open tunnel WebSocket until it closes. Must be called inside the
 * `open` event (see `dialTunnel`). Resolves with why the connection ended.
 */
export function serveTunnel(ws: WebSocket, server: http2.Http2Server, options: ServeOptions): Promise<string> {
  let reason: string | undefined;
  let session: http2.ServerHttp2Session | undefined;
  const onSession = (s: http2.ServerHttp2Session): void => {
    session = s;
  };
  server.once('session', onSession);
  server.emit('connection', new WebSocketDuplex(ws));
  server.off('session', onSession);

  startHeartbeat(ws, {
    intervalMs: options.heartbeatIntervalMs,
    timeoutMs: options.heartbeatTimeoutMs,
    onTimeout: () => {
      reason = 'the server missed its heartbeats';
    },
  });
  const frameTimeoutMs = options.frameTimeoutMs ?? FRAME_TIMEOUT_MS;
  const raw = (ws as unknown as { _socket?: Parameters<typeof watchFrames>[0] })._socket;
  if (raw) {
    watchFrames(raw, frameTimeoutMs, (frame) => {
      reason = `the server left a WebSocket frame half-sent for ${frameTimeoutMs / 1000} s (${frame.receivedBytes} of ${frame.payloadBytes} bytes arrived)`;
      ws.terminate();
    });
  }

  const onAbort = (): void => {
    reason = 'the agent is stopping';
    stopGracefully(ws, session, options.shutdownGraceMs);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });

  return new Promise(function waitForClose(resolve) {
    ws.once('close', (code: number, why: Buffer) => {
      options.signal.removeEventListener('abort', onAbort);
      if (session && !session.destroyed) session.destroy();
      resolve(reason ?? describeClose(code, why.toString()));
    });
  });
}

/** GOAWAY first (the server stops sending new streams), then close once streams are done. */
function stopGracefully(ws: WebSocket, session: http2.ServerHttp2Session | undefined, graceMs: number): void {
  const closeSocket = (): void => {
    if (ws.readyState === ws.OPEN) ws.close(1001, 'the agent is stopping');
  };
  if (!session || session.destroyed) {
    closeSocket();
    return;
  }
  session.close(closeSocket);
  setTimeout(function graceOver() {
    // The session closes (and calls closeSocket) once the resets are out.
    cancelOpenStreams(session);
    setTimeout(function stillOpen() {
      closeSocket();
      // Do not wait for a close handshake the server may never answer.
      setTimeout(() => ws.terminate(), 1_000).unref();
    }, CLOSE_AFTER_CANCEL_MS).unref();
  }, graceMs).unref();
}

/** How a connection on the h2 carrier ended. */
export interface RawServeResult {
  reason: string;
  /**
   * Whether the server's SETTINGS ever arrived. A session that ends without them never
   * spoke HTTP/2 with the server: something on the way (a proxy that parses WebSocket
   * frames) did not let raw bytes through.
   */
  settingsReceived: boolean;
}

/**
 * Serves HTTP/2 directly on the socket of a handshake where the server selected
 * `kubegate-tunnel-h2` (no WebSocket frames): the socket goes to the HTTP/2 server as a
 * connection, so http2 reads and writes its native handle. Must be called as soon as the
 * 101 arrived (see `dialTunnel`). The server's reasons for closing arrive as a GOAWAY
 * whose opaque data is a WebSocket close payload, and are worded as over frames.
 */
export function serveRawTunnel(socket: Socket, head: Buffer, server: http2.Http2Server, options: ServeOptions): Promise<RawServeResult> {
  let reason: string | undefined;
  let serverReason: string | undefined;
  let settingsReceived = false;
  if (head.length > 0) socket.unshift(head);
  // The TLS session was negotiated for the HTTP/1.1 handshake (ALPN "http/1.1" or none),
  // and http2's server turns such sockets away; the 101 switched this one to HTTP/2.
  const tls = socket as Socket & { encrypted?: boolean; alpnProtocol?: string | false | null };
  if (tls.encrypted) tls.alpnProtocol = 'h2';
  let session: http2.ServerHttp2Session | undefined;
  const onSession = (s: http2.ServerHttp2Session): void => {
    session = s;
  };
  server.once('session', onSession);
  server.emit('connection', socket);
  server.off('session', onSession);
  if (!session) {
    socket.destroy();
    return Promise.resolve({ reason: 'the HTTP/2 session could not start', settingsReceived });
  }
  const h2 = session;
  h2.once('remoteSettings', () => {
    settingsReceived = true;
  });
  h2.on('goaway', (code: number, _lastStreamId: number, data?: Buffer) => {
    const close = decodeCloseReason(data);
    serverReason ??= close
      ? describeClose(close.code, close.reason)
      : code === http2.constants.NGHTTP2_NO_ERROR
        ? 'the server is going away'
        : `the server ended the HTTP/2 session (error ${code})`;
  });
  h2.on('error', (err: Error) => {
    serverReason ??= `the HTTP/2 session failed: ${err.message}`;
  });
  startSessionHeartbeat(h2, socket, {
    intervalMs: options.heartbeatIntervalMs,
    timeoutMs: options.heartbeatTimeoutMs,
    onTimeout: () => {
      reason = 'the server missed its heartbeats';
    },
    drop: () => {
      h2.destroy();
      socket.destroy();
    },
  });

  const onAbort = (): void => {
    reason = 'the agent is stopping';
    stopRawGracefully(h2, socket, options.shutdownGraceMs);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });

  return new Promise(function waitForClose(resolve) {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      options.signal.removeEventListener('abort', onAbort);
      if (!h2.destroyed) h2.destroy();
      if (!socket.destroyed) socket.destroy();
      resolve({ reason: reason ?? serverReason ?? 'the connection was lost', settingsReceived });
    };
    socket.once('close', finish);
    h2.once('close', finish);
    // http2 does not watch for the server's FIN; resumed once http2 has read `head`.
    socket.on('end', () => socket.destroy());
    setImmediate(() => socket.resume());
  });
}

/** GOAWAY saying why (the server stops sending new streams), then close once streams are done. */
function stopRawGracefully(session: http2.ServerHttp2Session, socket: Socket, graceMs: number): void {
  if (session.destroyed) {
    socket.destroy();
    return;
  }
  // The last stream id tells the server which requests this pod still answers (all it
  // sent so far): a GOAWAY naming 0 made it fail every request in flight at once.
  session.goaway(http2.constants.NGHTTP2_NO_ERROR, LAST_STREAM_ID.get(session) ?? 0, encodeCloseReason(1001, ''));
  session.close();
  setTimeout(function graceOver() {
    // The session closes by itself once the resets are out (see serveRawTunnel's finish).
    cancelOpenStreams(session);
    setTimeout(function stillOpen() {
      session.destroy();
      socket.destroy();
    }, CLOSE_AFTER_CANCEL_MS).unref();
  }, graceMs).unref();
}

function describeClose(code: number, why: string): string {
  if (code === 1006) return 'the connection was lost';
  if (code === 1008) return `the server closed the connection: ${why || 'policy violation'}`;
  if (code === 1001) return `the server is going away${why ? `: ${why}` : ''}`;
  return `the server closed the connection (${code}${why ? `: ${why}` : ''})`;
}

function ignore(): void {}
