import http2 from 'node:http2';
import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import { WebSocketDuplex } from './stream.js';
import { startHeartbeat, startSessionHeartbeat } from './heartbeat.js';
import { Liveness } from './server_liveness.js';
import { watchFrames } from './frame_watch.js';
import {
  decodeCloseReason,
  encodeCloseReason,
  HTTP2_SESSION_OPTIONS,
  truncateUtf8,
  widenConnectionWindow,
  type AgentInfo,
  type TunnelCarrierKind,
} from './shared.js';

/** One live agent connection as the rest of the server sees it (a snapshot). */
export interface ConnectionInfo extends AgentInfo {
  /** Random, unique across replicas in practice (48 bits). */
  connectionId: number;
  agentId: number;
  tokenId: number;
  connectedAt: Date;
  /** Last time the agent answered a heartbeat or sent data. */
  lastSeenAt: Date;
  /** `h2`: HTTP/2 directly on the socket (negotiated); `websocket`: inside WebSocket frames. */
  transport: TunnelCarrierKind;
}

/**
 * What a connection's HTTP/2 runs on: an open WebSocket (frames), or the upgraded socket
 * itself once the agent's `kubegate-tunnel-h2` subprotocol was selected (`head`: bytes
 * read past the handshake).
 */
export type ServerCarrier = { kind: 'websocket'; ws: WebSocket } | { kind: 'h2'; socket: Duplex & { bytesRead?: number }; head: Buffer };

export interface ConnectionTimers {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  pingAckTimeoutMs: number;
  probeIdleMs: number;
  establishTimeoutMs: number;
  frameTimeoutMs: number;
}

/**
 * `establishing`: the socket is open, the agent's HTTP/2 SETTINGS have not arrived (no
 * requests yet); `alive`: in rotation; `suspect`: a ping went unanswered, out of rotation
 * until the agent answers again.
 */
export type ConnectionState = 'establishing' | 'alive' | 'suspect';

/**
 * The server's end of one agent connection: the carrier (WebSocket or raw socket), the
 * HTTP/2 client session that runs over it (the server is the HTTP/2 client) and the
 * agent's reported info. `onClosed` fires exactly once, whichever side or failure ends
 * the connection.
 */
export class ServerConnection {
  readonly connectionId = randomInt(1, 2 ** 48 - 1);
  readonly agentId: number;
  readonly tokenId: number;
  readonly connectedAt = new Date();
  readonly session: http2.ClientHttp2Session;
  readonly transport: TunnelCarrierKind;
  info: AgentInfo;
  lastSeenAt = new Date();
  /** Streams in flight: the load the registry balances on. */
  activeStreams = 0;
  closed = false;
  /** Resolves, once, with why the connection ended (what `onClosed` listeners get). */
  readonly closedReason: Promise<string>;
  #resolveClosed!: (reason: string) => void;
  state: ConnectionState = 'establishing';
  /** The pod's SETTINGS_MAX_CONCURRENT_STREAMS (kept here: reading the session's settings is a native call). */
  maxStreams: number | undefined;
  readonly #carrier: ServerCarrier;
  readonly #closedListeners: Array<(reason: string) => void> = [];
  readonly #readyListeners: Array<() => void> = [];
  readonly #suspectListeners = new Set<() => void>();
  readonly #liveness: Liveness;
  /** Set when this side decided to close, so the socket's close code does not override it. */
  #closeReason: string | undefined;
  /** h2 carrier: why the agent said it closed (its GOAWAY), or how its session failed. */
  #peerReason: string | undefined;

  constructor(
    carrier: ServerCarrier,
    identity: { agentId: number; tokenId: number },
    info: AgentInfo,
    timers: ConnectionTimers,
    logger: Logger,
  ) {
    this.closedReason = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#carrier = carrier;
    this.transport = carrier.kind;
    this.agentId = identity.agentId;
    this.tokenId = identity.tokenId;
    this.info = info;
    // Built synchronously on the open socket: bytes the agent sends right after the
    // handshake must find their reader.
    let socket: Duplex;
    if (carrier.kind === 'websocket') {
      socket = new WebSocketDuplex(carrier.ws);
    } else {
      socket = carrier.socket;
      // Bytes read past the 101: http2 reads what the socket already buffered first.
      if (carrier.head.length > 0) socket.unshift(carrier.head);
    }
    this.session = http2.connect('http://agent.kubegate.invalid', {
      ...HTTP2_SESSION_OPTIONS,
      createConnection: function tunnelSocket() {
        return socket;
      },
    });
    this.session.on('connect', () => widenConnectionWindow(this.session));
    // The agent (the HTTP/2 server) sends its SETTINGS first: until they arrive nothing
    // proves that HTTP/2 runs on this connection, and no request may wait on it.
    const establishTimer = setTimeout(() => {
      this.#stall(`the agent did not start HTTP/2 within ${timers.establishTimeoutMs / 1000} s (a hung pod, or a proxy on the way that does not pass the tunnel through)`);
    }, timers.establishTimeoutMs);
    establishTimer.unref();
    this.session.on('remoteSettings', (settings) => {
      this.maxStreams = settings.maxConcurrentStreams;
    });
    this.session.once('remoteSettings', () => {
      clearTimeout(establishTimer);
      if (this.closed) return;
      this.state = 'alive';
      this.#liveness.heard();
      for (const listener of this.#readyListeners) listener();
    });
    this.onClosed(() => clearTimeout(establishTimer));
    this.session.on('ping', () => this.#liveness.heard());
    this.session.on('error', (err) => {
      this.#peerReason ??= `the HTTP/2 session failed: ${err.message}`;
      logger.debug({ err, connectionId: this.connectionId }, 'tunnel HTTP/2 session error');
    });
    const onPong = (): void => {
      this.lastSeenAt = new Date();
      this.#liveness.heard();
    };
    this.#liveness = new Liveness({
      intervalMs: timers.heartbeatIntervalMs,
      ackTimeoutMs: timers.pingAckTimeoutMs,
      probeIdleMs: timers.probeIdleMs,
      ping: (acked) => this.#ping(acked),
      bytesRead: () => this.#bytesRead(),
      stuckTimeoutMs: timers.frameTimeoutMs,
      onStuck: () => {
        this.#stall(`the agent has not acknowledged a ping for ${timers.frameTimeoutMs / 1000} s although data kept arriving: its frames do not complete`);
      },
      onSuspect: () => {
        if (this.state !== 'alive') return;
        this.state = 'suspect';
        logger.warn({ agentId: this.agentId, connectionId: this.connectionId, ackTimeoutMs: timers.pingAckTimeoutMs }, 'agent connection out of rotation: a ping went unanswered');
        for (const listener of [...this.#suspectListeners]) listener();
      },
      onAlive: () => {
        if (this.state !== 'suspect') return;
        this.state = 'alive';
        logger.info({ agentId: this.agentId, connectionId: this.connectionId }, 'agent connection back in rotation: it answers again');
      },
    });
    this.onClosed(() => this.#liveness.stop());
    const onTimeout = (): void => {
      this.#closeReason = 'the agent missed its heartbeats';
    };
    if (carrier.kind === 'websocket') {
      const ws = carrier.ws;
      ws.on('message', () => this.#liveness.heard());
      ws.on('ping', () => this.#liveness.heard());
      const raw = (ws as unknown as { _socket?: Parameters<typeof watchFrames>[0] })._socket;
      if (raw) {
        watchFrames(raw, timers.frameTimeoutMs, (frame) => {
          this.#stall(`the agent left a WebSocket frame half-sent for ${timers.frameTimeoutMs / 1000} s (${frame.receivedBytes} of ${frame.payloadBytes} bytes arrived)`);
        });
      }
      this.session.on('close', () => this.close('the HTTP/2 session ended'));
      ws.on('close', (code: number, why: Buffer) => this.#finish(this.#closeReason ?? describePeerClose(code, why.toString())));
      startHeartbeat(ws, { intervalMs: timers.heartbeatIntervalMs, timeoutMs: timers.heartbeatTimeoutMs, onPong, onTimeout });
      return;
    }
    const raw = carrier.socket;
    this.session.on('goaway', (code: number, _lastStreamId: number, data?: Buffer) => {
      const close = decodeCloseReason(data);
      this.#peerReason ??= close
        ? describePeerClose(close.code, close.reason)
        : code === http2.constants.NGHTTP2_NO_ERROR
          ? 'the agent closed the connection'
          : `the agent ended the HTTP/2 session (error ${code})`;
    });
    const ended = (): void => {
      if (!raw.destroyed) raw.destroy();
      this.#finish(this.#closeReason ?? this.#peerReason ?? 'the connection was lost');
    };
    this.session.on('close', ended);
    raw.on('close', ended);
    // The HTTP server's sockets are half-open capable and http2 does not watch for the
    // agent's FIN: without this a vanished agent would be noticed only by the heartbeat.
    // (Resumed after http2 has read what the socket buffered: `head`.)
    raw.on('end', () => raw.destroy());
    setImmediate(() => raw.resume());
    raw.on('error', (err) => logger.debug({ err, connectionId: this.connectionId }, 'tunnel socket error'));
    startSessionHeartbeat(this.session, { get bytesRead() { return raw.bytesRead ?? 0; } }, {
      intervalMs: timers.heartbeatIntervalMs,
      timeoutMs: timers.heartbeatTimeoutMs,
      onPong,
      onTimeout,
      drop: () => {
        this.session.destroy();
        raw.destroy();
      },
    });
  }

  /** Runs once the agent's HTTP/2 SETTINGS arrived: the connection may serve requests. */
  onReady(listener: () => void): void {
    if (this.state !== 'establishing') listener();
    else this.#readyListeners.push(listener);
  }

  /** Runs each time a ping goes unanswered; returns the way to stop listening. */
  onSuspect(listener: () => void): () => void {
    this.#suspectListeners.add(listener);
    return () => this.#suspectListeners.delete(listener);
  }

  /** A request is about to use this connection: ping it first if it has been quiet. */
  probeIfQuiet(): void {
    this.#liveness.probeIfQuiet();
  }

  /** The agent does not speak (or stopped making frames): close at once, no waiting for a goodbye it will not send. */
  #stall(reason: string): void {
    if (this.closed) return;
    const carrier = this.#carrier;
    this.close(reason, CLOSE_CODE_PROTOCOL);
    if (carrier.kind === 'websocket') setTimeout(() => carrier.ws.terminate(), STALL_CLOSE_GRACE_MS).unref();
    else carrier.socket.destroy();
  }

  #ping(acked: () => void): boolean {
    const carrier = this.#carrier;
    if (carrier.kind === 'websocket') {
      if (carrier.ws.readyState !== carrier.ws.OPEN) return false;
      // Pongs arrive as 'pong' events, which call `heard()` (see onPong).
      carrier.ws.ping();
      return true;
    }
    if (this.session.destroyed || this.session.closed) return false;
    return this.session.ping((err) => {
      if (!err) acked();
    });
  }

  #bytesRead(): number {
    const carrier = this.#carrier;
    if (carrier.kind === 'websocket') return (carrier.ws as unknown as { _socket?: { bytesRead: number } })._socket?.bytesRead ?? 0;
    return carrier.socket.bytesRead ?? 0;
  }

  snapshot(): ConnectionInfo {
    return {
      connectionId: this.connectionId,
      agentId: this.agentId,
      tokenId: this.tokenId,
      connectedAt: this.connectedAt,
      lastSeenAt: this.lastSeenAt,
      transport: this.transport,
      ...this.info,
    };
  }

  onClosed(listener: (reason: string) => void): void {
    this.#closedListeners.push(listener);
  }

  /**
   * Ends the connection; in-flight streams fail with `TunnelRequestError`. `code` is the
   * WebSocket close code (1008 policy, 1001 going away): over frames it is the close
   * frame's, on an h2 carrier it travels with the reason in the GOAWAY's opaque data.
   */
  close(reason: string, code = 1000): void {
    if (this.closed) return;
    this.#closeReason = reason;
    const carrier = this.#carrier;
    // The close (or GOAWAY) goes first so that the agent learns why (its log shows it).
    if (carrier.kind === 'websocket') {
      const ws = carrier.ws;
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(code, truncateUtf8(reason, 120));
        // A peer that does not answer the close handshake must not keep the socket alive.
        setTimeout(() => ws.terminate(), 5_000).unref();
      }
    } else if (!this.session.destroyed) {
      this.session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, encodeCloseReason(code, reason));
      // Sends what is queued (the GOAWAY first), then ends the socket.
      this.session.destroy();
      setTimeout(() => carrier.socket.destroy(), 5_000).unref();
    }
    this.#finish(reason);
  }

  #finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.session.destroyed) this.session.destroy();
    this.#resolveClosed(reason);
    for (const listener of this.#closedListeners) listener(reason);
  }

  /**
   * Whether this connection is going away (closed, or its HTTP/2 session torn down): a
   * stream that broke now broke because of that, and `closedReason` will say why.
   */
  get goingAway(): boolean {
    return this.closed || this.session.closed || this.session.destroyed;
  }
}

/** RFC 6455 "protocol error": the peer did not speak what the connection needs. */
const CLOSE_CODE_PROTOCOL = 1002;
/** Long enough for our close frame to leave; the agent's answer cannot arrive behind its stuck frame. */
const STALL_CLOSE_GRACE_MS = 200;

function describePeerClose(code: number, why: string): string {
  if (code === 1006) return 'the connection was lost';
  if (code === 1001) return `the agent is stopping${why ? `: ${why}` : ''}`;
  return `the agent closed the connection (${code}${why ? `: ${why}` : ''})`;
}
