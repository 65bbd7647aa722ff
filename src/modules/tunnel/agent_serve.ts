import http2 from 'node:http2';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { WebSocketDuplex } from './stream.js';
import { startHeartbeat } from './heartbeat.js';
import { AGENT_INFO_PATH, HTTP2_SESSION_OPTIONS, widenConnectionWindow, type AgentInfo } from './shared.js';

export type TunnelHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * The HTTP/2 server every tunnel connection of one agent process feeds. It answers
 * `AGENT_INFO_PATH` itself and gives everything else to the caller's handler.
 */
export function createAgentHttp2Server(
  handler: TunnelHandler,
  info: () => Promise<AgentInfo>,
  logger: Logger,
): http2.Http2Server {
  const server = http2.createServer(HTTP2_SESSION_OPTIONS, function tunnelRequest(req, res) {
    if (req.url === AGENT_INFO_PATH && req.method === 'GET') {
      answerInfo(res, info);
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
  server.on('session', function tunedSession(session) {
    session.on('connect', () => widenConnectionWindow(session));
    // Session errors surface as the WebSocket closing; the serve loop logs that once.
    session.on('error', ignore);
  });
  // No idle timeout: the server decides when a connection is no longer wanted.
  server.setTimeout(0);
  return server;
}

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
    closeSocket();
    // Do not wait for a close handshake the server may never answer.
    setTimeout(() => ws.terminate(), 1_000).unref();
  }, graceMs).unref();
}

function describeClose(code: number, why: string): string {
  if (code === 1006) return 'the connection was lost';
  if (code === 1008) return `the server closed the connection: ${why || 'policy violation'}`;
  if (code === 1001) return `the server is going away${why ? `: ${why}` : ''}`;
  return `the server closed the connection (${code}${why ? `: ${why}` : ''})`;
}

function ignore(): void {}
