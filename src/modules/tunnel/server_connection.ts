import http2 from 'node:http2';
import { randomInt } from 'node:crypto';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { WebSocketDuplex } from './stream.js';
import { startHeartbeat } from './heartbeat.js';
import { HTTP2_SESSION_OPTIONS, widenConnectionWindow, type AgentInfo } from './shared.js';

/** One live agent connection as the rest of the server sees it (a snapshot). */
export interface ConnectionInfo extends AgentInfo {
  /** Random, unique across replicas in practice (48 bits). */
  connectionId: number;
  agentId: number;
  tokenId: number;
  connectedAt: Date;
  /** Last time the agent answered a heartbeat or sent data. */
  lastSeenAt: Date;
}

export interface ConnectionTimers {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

/**
 * The server's end of one agent connection: the WebSocket, the HTTP/2 client session that
 * runs over it (the server is the HTTP/2 client) and the agent's reported info.
 * `onClosed` fires exactly once, whichever side or failure ends the connection.
 */
export class ServerConnection {
  readonly connectionId = randomInt(1, 2 ** 48 - 1);
  readonly agentId: number;
  readonly tokenId: number;
  readonly connectedAt = new Date();
  readonly session: http2.ClientHttp2Session;
  info: AgentInfo;
  lastSeenAt = new Date();
  /** Streams in flight: the load the registry balances on. */
  activeStreams = 0;
  closed = false;
  readonly #ws: WebSocket;
  readonly #closedListeners: Array<(reason: string) => void> = [];
  /** Set when this side decided to close, so the socket's close code does not override it. */
  #closeReason: string | undefined;

  constructor(
    ws: WebSocket,
    identity: { agentId: number; tokenId: number },
    info: AgentInfo,
    timers: ConnectionTimers,
    logger: Logger,
  ) {
    this.#ws = ws;
    this.agentId = identity.agentId;
    this.tokenId = identity.tokenId;
    this.info = info;
    // Built synchronously on the open socket: bytes the agent sends right after the
    // handshake must find their reader.
    const duplex = new WebSocketDuplex(ws);
    this.session = http2.connect('http://agent.kubegate.invalid', {
      ...HTTP2_SESSION_OPTIONS,
      createConnection: function tunnelSocket() {
        return duplex;
      },
    });
    this.session.on('connect', () => widenConnectionWindow(this.session));
    this.session.on('error', (err) => {
      logger.debug({ err, connectionId: this.connectionId }, 'tunnel HTTP/2 session error');
    });
    this.session.on('close', () => this.close('the HTTP/2 session ended'));
    ws.on('close', (code: number, why: Buffer) => this.#finish(this.#closeReason ?? describePeerClose(code, why.toString())));
    startHeartbeat(ws, {
      intervalMs: timers.heartbeatIntervalMs,
      timeoutMs: timers.heartbeatTimeoutMs,
      onPong: () => {
        this.lastSeenAt = new Date();
      },
      onTimeout: () => {
        this.#closeReason = 'the agent missed its heartbeats';
      },
    });
  }

  snapshot(): ConnectionInfo {
    return {
      connectionId: this.connectionId,
      agentId: this.agentId,
      tokenId: this.tokenId,
      connectedAt: this.connectedAt,
      lastSeenAt: this.lastSeenAt,
      ...this.info,
    };
  }

  onClosed(listener: (reason: string) => void): void {
    this.#closedListeners.push(listener);
  }

  /** Ends the connection; in-flight streams fail with `TunnelRequestError`. */
  close(reason: string, code = 1000): void {
    if (this.closed) return;
    this.#closeReason = reason;
    // The WebSocket close goes first so that the agent learns why (its log shows it).
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
      this.#ws.close(code, truncateUtf8(reason, 120));
      // A peer that does not answer the close handshake must not keep the socket alive.
      setTimeout(() => this.#ws.terminate(), 5_000).unref();
    }
    this.#finish(reason);
  }

  #finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.session.destroyed) this.session.destroy();
    for (const listener of this.#closedListeners) listener(reason);
  }
}

/** Close reasons are limited to 123 bytes by RFC 6455. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  return bytes.length <= maxBytes ? text : bytes.subarray(0, maxBytes).toString().replace(/\uFFFD$/, '');
}

function describePeerClose(code: number, why: string): string {
  if (code === 1006) return 'the connection was lost';
  if (code === 1001) return `the agent is stopping${why ? `: ${why}` : ''}`;
  return `the agent closed the connection (${code}${why ? `: ${why}` : ''})`;
}
