/**
 * The server half of the tunnel (DESIGN §5): accepts agent WebSockets, runs HTTP/2 over
 * them as the client (directly on the socket when the agent offers `kubegate-tunnel-h2`,
 * else inside WebSocket frames), keeps the registry of live connections and sends requests to agent
 * pods. This is the module's whole server-side surface.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  AGENT_INFO_REFRESH_MS,
  ESTABLISH_TIMEOUT_MS,
  FRAME_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  PING_ACK_TIMEOUT_MS,
  PROBE_IDLE_MS,
  WS_MAX_PAYLOAD_BYTES,
} from './defaults.js';
import { ServerConnection, type ConnectionInfo, type ServerCarrier } from './server_connection.js';
import { ConnectionRegistry } from './server_registry.js';
import {
  agentInfoFromHeaders,
  checkAgentToken,
  refuseUpgrade,
  type AgentIdentity,
  type Authenticate,
} from './server_accept.js';
import { TUNNEL_H2_SUBPROTOCOL, webSocketAccept, type AgentInfo } from './shared.js';
import { startInfoRefresh } from './server_info.js';
import {
  sendRequest,
  sendUpgrade,
  type TunnelRequest,
  type TunnelResponse,
  type TunnelUpgradeResponse,
} from './server_request.js';
import { NoAgentConnectionError, TunnelBusyError } from './errors.js';
import { isRetryable, withFailover } from './server_failover.js';
import { KubegateError } from '../../lib/errors.js';

export type { ConnectionInfo } from './server_connection.js';
export type { AgentIdentity, Authenticate } from './server_accept.js';
export type { TunnelRequest, TunnelResponse, TunnelUpgradeResponse, RequestHeaders, CancelSignal } from './server_request.js';
export { Cancellation } from './server_request.js';
export { NoAgentConnectionError, TunnelBusyError, TunnelRequestError, TunnelAbortedError } from './errors.js';
export type { AgentInfo } from './shared.js';
export { TUNNEL_PATH } from './defaults.js';

export interface TunnelServerDeps {
  /**
   * Maps an agent token to its agent. Null (or a throw) refuses the connection with 401;
   * throw a `KubegateError` with code `unavailable` when the check itself failed (store
   * down): the agent then gets 503 and is not told its token is bad. Called once per
   * connection attempt; the tunnel never stores or logs the token.
   */
  authenticate: Authenticate;
  logger: Logger;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** See `PING_ACK_TIMEOUT_MS`, `PROBE_IDLE_MS`, `ESTABLISH_TIMEOUT_MS`, `FRAME_TIMEOUT_MS`. */
  pingAckTimeoutMs?: number;
  probeIdleMs?: number;
  establishTimeoutMs?: number;
  frameTimeoutMs?: number;
  agentInfoRefreshMs?: number;
  /**
   * Select the `kubegate-tunnel-h2` subprotocol when an agent offers it (HTTP/2 directly
   * on the socket after the 101). Default true; false keeps every agent on WebSocket frames.
   */
  rawTransport?: boolean;
}

export interface TunnelServerEvents {
  connect: [ConnectionInfo];
  /** The connection's final snapshot and a human-readable reason. */
  disconnect: [ConnectionInfo, string];
  /** The agent reported new info (version, Kubernetes version…) on a live connection. */
  update: [ConnectionInfo];
}

/**
 * Contract: `handleUpgrade` is given every HTTP upgrade request for `TUNNEL_PATH`; it
 * always answers (101, 401 or 503) and owns the socket from then on. The other methods
 * may be called from anywhere in the server process.
 */
export interface TunnelServer extends EventEmitter<TunnelServerEvents> {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Live connections of one agent (snapshots), oldest first. */
  connections(agentId: number): ConnectionInfo[];
  /** Every live connection of this process. */
  allConnections(): ConnectionInfo[];
  /** Whether at least one pod of the agent is connected here. */
  isConnected(agentId: number): boolean;
  /** Closes the connections made with a token (it was revoked); returns how many. */
  closeTokenConnections(tokenId: number, reason?: string): number;
  /** Closes every connection of an agent (it was deleted); returns how many. */
  closeAgentConnections(agentId: number, reason?: string): number;
  /**
   * Sends a request to one pod of the agent: `request.connectionId`, else the least-loaded
   * connection known to be alive. Rejects with `NoAgentConnectionError` (→ 503) when no
   * pod is connected, `TunnelRequestError` (→ 503) when the connection broke before the
   * answer, and `TunnelAbortedError` when `request.signal` fired first.
   *
   * If the connection stops answering pings before the answer's headers arrive and
   * another pod is alive, the request does not wait on it: a bodiless GET, HEAD or OPTIONS
   * is sent once more to the other pod; any other request fails at once with
   * `TunnelRequestError` (it may have been applied, so only the caller may repeat it).
   */
  request(agentId: number, request: TunnelRequest): Promise<TunnelResponse>;
  /**
   * Like `request` for a caller's `Connection: Upgrade` request (exec, attach,
   * port-forward); `upgrade` is its `Upgrade` header value. On status 101 the answer's
   * `stream` carries the raw bytes both ways.
   */
  upgrade(agentId: number, request: Omit<TunnelRequest, 'body'>, upgrade: string): Promise<TunnelUpgradeResponse>;
  /**
   * Runs the tunnel over a WebSocket this process opened itself: receptive agents, where
   * the server dials the agent and proved both identities by other means (JWT, TLS).
   * Call it inside the socket's `open` event, before any message can arrive.
   */
  adopt(ws: WebSocket, identity: AgentIdentity, info: AgentInfo): ConnectionInfo;
  /** Runs until `signal` aborts, then closes every connection. */
  run(signal: AbortSignal): Promise<void>;
  /** Closes every connection and refuses new ones. */
  close(): void;
}

export function createTunnelServer(deps: TunnelServerDeps): TunnelServer {
  return new TunnelServerImpl(deps);
}

class TunnelServerImpl extends EventEmitter<TunnelServerEvents> implements TunnelServer {
  readonly #deps: TunnelServerDeps;
  readonly #logger: Logger;
  readonly #registry = new ConnectionRegistry();
  readonly #wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // Compression would cost more CPU than it saves on HTTP/2 frames, and its buffers
    // cost memory per connection.
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    skipUTF8Validation: true,
    // Framed connections select no subprotocol (`ws` would echo the first one offered,
    // and an agent that offered `kubegate-tunnel-h2` would then stop sending frames).
    handleProtocols: () => false,
  });
  #closed = false;

  constructor(deps: TunnelServerDeps) {
    super();
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: 'tunnel' });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.#logger.debug({ err }, 'agent socket error during the handshake'));
    if (this.#closed) {
      refuseUpgrade(socket, { status: 503, message: 'the server is shutting down; the agent will reconnect' });
      return;
    }
    checkAgentToken(req, this.#deps.authenticate).then(
      (result) => {
        if ('refusal' in result) {
          const remote = req.socket.remoteAddress;
          this.#logger.info({ remote, status: result.refusal.status, err: result.cause }, 'agent connection refused');
          refuseUpgrade(socket, result.refusal);
          return;
        }
        if (socket.destroyed) return;
        const info = agentInfoFromHeaders(req);
        if (this.#deps.rawTransport !== false && offersRawTransport(req)) {
          this.#acceptRaw(req, socket, head, result.identity, info);
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => {
          if (this.#closed) ws.close(1001, 'the server is shutting down');
          else this.adopt(ws, result.identity, info);
        });
      },
      (err: unknown) => {
        this.#logger.error({ err }, 'agent upgrade failed');
        socket.destroy();
      },
    );
  }

  /**
   * Completes the WebSocket handshake selecting `kubegate-tunnel-h2`, then runs HTTP/2 on
   * the socket itself: no WebSocket framing, no JavaScript stream between http2 and the
   * socket's native handle.
   */
  #acceptRaw(req: IncomingMessage, socket: Duplex, head: Buffer, identity: AgentIdentity, info: AgentInfo): void {
    if (this.#closed) {
      // Before the 101: a raw session that dies before HTTP/2 starts would make the agent
      // give up on raw mode for good.
      refuseUpgrade(socket, { status: 503, message: 'the server is shutting down; the agent will reconnect' });
      return;
    }
    const key = String(req.headers['sec-websocket-key']);
    const response = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${webSocketAccept(key)}`,
      `Sec-WebSocket-Protocol: ${TUNNEL_H2_SUBPROTOCOL}`,
      '',
      '',
    ].join('\r\n');
    const tcp = socket as Duplex & { setNoDelay?(noDelay: boolean): void; setTimeout?(ms: number): void };
    tcp.setTimeout?.(0);
    tcp.setNoDelay?.(true);
    // http2 takes the socket's handle once the 101 is written, so nothing can interleave.
    socket.write(response, (err) => {
      if (err || socket.destroyed || this.#closed) {
        socket.destroy();
        return;
      }
      this.#adoptCarrier({ kind: 'h2', socket, head }, identity, info);
    });
  }

  adopt(ws: WebSocket, identity: AgentIdentity, info: AgentInfo): ConnectionInfo {
    if (this.#closed) {
      ws.close(1001, 'the server is shutting down');
      throw new KubegateError('unavailable', 'the server is shutting down');
    }
    return this.#adoptCarrier({ kind: 'websocket', ws }, identity, info);
  }

  #adoptCarrier(carrier: ServerCarrier, identity: AgentIdentity, info: AgentInfo): ConnectionInfo {
    const conn = new ServerConnection(
      carrier,
      identity,
      info,
      {
        heartbeatIntervalMs: this.#deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
        heartbeatTimeoutMs: this.#deps.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
        pingAckTimeoutMs: this.#deps.pingAckTimeoutMs ?? PING_ACK_TIMEOUT_MS,
        probeIdleMs: this.#deps.probeIdleMs ?? PROBE_IDLE_MS,
        establishTimeoutMs: this.#deps.establishTimeoutMs ?? ESTABLISH_TIMEOUT_MS,
        frameTimeoutMs: this.#deps.frameTimeoutMs ?? FRAME_TIMEOUT_MS,
      },
      this.#logger,
    );
    const log = this.#logger.child({ agentId: conn.agentId, connectionId: conn.connectionId });
    let registered = false;
    // In rotation (and listed) only once HTTP/2 is up: a socket that completed the
    // WebSocket handshake and then stays silent must never receive a request.
    conn.onReady(() => {
      registered = true;
      this.#registry.add(conn);
      log.info({ tokenId: conn.tokenId, transport: conn.transport, ...conn.info }, 'agent connected');
      startInfoRefresh(conn, this.#deps.agentInfoRefreshMs ?? AGENT_INFO_REFRESH_MS, log, (info) => {
        conn.info = info;
        this.emit('update', conn.snapshot());
      });
      this.emit('connect', conn.snapshot());
    });
    conn.onClosed((reason) => {
      if (!registered) {
        log.info({ reason, tokenId: conn.tokenId }, 'agent connection closed before HTTP/2 started');
        return;
      }
      this.#registry.remove(conn);
      log.info({ reason }, 'agent disconnected');
      this.emit('disconnect', conn.snapshot(), reason);
    });
    return conn.snapshot();
  }

  connections(agentId: number): ConnectionInfo[] {
    return this.#registry.forAgent(agentId).map((c) => c.snapshot());
  }

  allConnections(): ConnectionInfo[] {
    return this.#registry.all().map((c) => c.snapshot());
  }

  isConnected(agentId: number): boolean {
    return this.#registry.pick(agentId) !== undefined || this.#registry.allBusy(agentId) !== undefined;
  }

  closeTokenConnections(tokenId: number, reason = 'the agent token was revoked'): number {
    const matching = this.#registry.all().filter((c) => c.tokenId === tokenId);
    for (const conn of matching) conn.close(reason, CLOSE_CODE_POLICY);
    return matching.length;
  }

  closeAgentConnections(agentId: number, reason = 'the agent was deleted'): number {
    const matching = [...this.#registry.forAgent(agentId)];
    for (const conn of matching) conn.close(reason, CLOSE_CODE_POLICY);
    return matching.length;
  }

  request(agentId: number, request: TunnelRequest): Promise<TunnelResponse> {
    const conn = this.#registry.pick(agentId, request.connectionId);
    if (!conn) return Promise.reject(this.#noConnection(agentId));
    if (request.connectionId !== undefined) return sendRequest(conn, request);
    return withFailover(this.#registry, conn, request, isRetryable(request), (c, r) => sendRequest(c, r));
  }

  upgrade(agentId: number, request: Omit<TunnelRequest, 'body'>, upgrade: string): Promise<TunnelUpgradeResponse> {
    const conn = this.#registry.pick(agentId, request.connectionId);
    if (!conn) return Promise.reject(this.#noConnection(agentId));
    if (request.connectionId !== undefined) return sendUpgrade(conn, request, upgrade);
    // An upgrade (exec, port-forward) may start something: never sent twice.
    return withFailover(this.#registry, conn, request, false, (c, r) => sendUpgrade(c, r, upgrade));
  }

  #noConnection(agentId: number): Error {
    const busy = this.#registry.allBusy(agentId);
    return busy ? new TunnelBusyError(agentId, busy.connections, busy.maxStreams) : new NoAgentConnectionError(agentId);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    this.close();
  }

  close(): void {
    this.#closed = true;
    for (const conn of this.#registry.all()) conn.close('the server is shutting down', CLOSE_CODE_GOING_AWAY);
  }
}

/**
 * Whether an upgrade request is a well-formed WebSocket handshake that offers
 * `kubegate-tunnel-h2`. Anything malformed goes to `ws`, which answers it as it always did.
 */
function offersRawTransport(req: IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol'];
  if (typeof offered !== 'string' || !offered.split(',').some((p) => p.trim() === TUNNEL_H2_SUBPROTOCOL)) return false;
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '13' || version === '8')
  );
}

/** RFC 6455 close codes the agent maps to its log message (on an h2 carrier: in the GOAWAY). */
const CLOSE_CODE_POLICY = 1008;
const CLOSE_CODE_GOING_AWAY = 1001;
