/**
 * The agent half of the tunnel (DESIGN §5): dials the server, serves HTTP/2 over the
 * connection (the agent is the HTTP/2 server) — directly on the socket when the server
 * selects `kubegate-tunnel-h2`, else inside WebSocket frames — and reconnects with
 * backoff. This is the module's whole agent-side surface; it imports nothing from the
 * server half.
 */
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import {
  DIAL_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  RECONNECT_MAX_BACKOFF_MS,
  RECONNECT_MIN_BACKOFF_MS,
  RECONNECT_RESET_AFTER_MS,
} from './defaults.js';
import { DialError, dialTunnel, proxyFromEnvironment } from './agent_dial.js';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { fetchProvenCa, isUntrustedCertificate } from '../../lib/ca_discovery.js';
import { createAgentHttp2Server, serveRawTunnel, serveTunnel, type RawServeResult, type TunnelHandler } from './agent_serve.js';
import { backoffDelay, sleep } from './backoff.js';
import type { AgentInfo } from './shared.js';

export type { TunnelHandler } from './agent_serve.js';
export type { AgentInfo } from './shared.js';
export { acceptUpgrade, forwardedHeaders, requestedUpgrade } from './agent_upgrade.js';
export { proxyFromEnvironment } from './agent_dial.js';

/**
 * `auto`: offer HTTP/2 directly on the socket (`kubegate-tunnel-h2`) and fall back to
 * WebSocket frames for good when it fails twice in a row before the server's SETTINGS
 * arrive (once can be a server that went away right after its 101);
 * `websocket`: never offer it (HTTP/2 always inside WebSocket frames).
 */
export type TunnelTransport = 'auto' | 'websocket';
export const TUNNEL_TRANSPORTS: readonly TunnelTransport[] = ['auto', 'websocket'];

/** Raw sessions failing in a row before the server's SETTINGS that make the agent use frames. */
const RAW_FAILURES_BEFORE_FALLBACK = 2;

/**
 * How long in-flight requests may finish after the agent is told to stop (SIGTERM). A
 * Kubernetes pod gets 30 s by default before SIGKILL; 25 s leaves the rest for exiting.
 */
export const SHUTDOWN_GRACE_MS = 25_000;

export interface TunnelAgentOptions {
  /** `ws://` or `wss://<server>/-/kubernetes-agent/`. */
  kasAddress: string;
  /** The agent token. Sent only as `Authorization: Bearer` to the server; never logged. */
  token: string;
  /**
   * Extra CA certificate(s), PEM, trusted besides the system roots. Without it, a server
   * whose certificate comes from a private CA is asked for that CA, proven with the
   * agent token (`lib/ca_proof.ts`), once per process.
   */
  caCert?: string | Buffer;
  /**
   * Serves the server's requests, as for `http2.createServer`. Upgrade requests carry
   * `requestedUpgrade(req)`; answer them with `acceptUpgrade(res, headers)`.
   */
  handler: TunnelHandler;
  /** What the agent reports; a function is re-read at each connect and info refresh. */
  info: AgentInfo | (() => AgentInfo | Promise<AgentInfo>);
  logger: Logger;
  /** HTTP(S) proxy; undefined = HTTPS_PROXY/HTTP_PROXY/NO_PROXY (any case), null = none. */
  proxy?: string | null;
  /**
   * Send WebSocket frames with a zero masking key (see `zeroMask` in agent_dial.ts).
   * Default: on for `wss://` (a proxy sees only TLS bytes, masking protects nothing), off
   * for plain `ws://` where a transparent proxy could read the frames.
   */
  unmaskedFrames?: boolean;
  /** See `TunnelTransport`; default `auto`. */
  transport?: TunnelTransport;
  /** Called when a connection is up / down (the agent's readiness follows it). */
  onConnected?: () => void;
  onDisconnected?: (reason: string) => void;
  /** Timers; tests shrink them. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  backoffResetAfterMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  dialTimeoutMs?: number;
  shutdownGraceMs?: number;
}

/**
 * Keeps one tunnel connection up until `signal` aborts: dial, serve, and on any failure
 * wait (jittered exponential backoff, 1 s → 20 s) and dial again. Each failure is logged
 * once with its reason. Resolves after the last connection has closed; never rejects.
 * Run it several times in one process for several connections.
 */
export async function runTunnelAgent(options: TunnelAgentOptions, signal: AbortSignal): Promise<void> {
  const logger = options.logger.child({ module: 'tunnel' });
  const readInfo = infoReader(options.info);
  const server = createAgentHttp2Server(options.handler, readInfo, logger);
  const minBackoff = options.minBackoffMs ?? RECONNECT_MIN_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? RECONNECT_MAX_BACKOFF_MS;
  const resetAfter = options.backoffResetAfterMs ?? RECONNECT_RESET_AFTER_MS;
  const unmasked = options.unmaskedFrames ?? options.kasAddress.toLowerCase().startsWith('wss:');
  let attempt = 0;
  let caCert = options.caCert;
  // Cleared for the rest of the process when raw connections proved impossible.
  let offerH2 = (options.transport ?? 'auto') === 'auto';
  /** Raw sessions in a row that ended before the server's SETTINGS arrived. */
  let rawFailures = 0;
  const serveOptions = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    shutdownGraceMs: options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS,
    signal,
  };

  while (!signal.aborted) {
    const startedAt = Date.now();
    let reason: string;
    try {
      const info = await readInfo();
      let served: Promise<string | RawServeResult> | undefined;
      const carrier = await dialTunnel(
        {
          url: options.kasAddress,
          // A token read from a file often ends with a newline, which no header may carry.
          token: options.token.trim(),
          info,
          ...(caCert ? { caCert } : {}),
          ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
          unmaskedFrames: unmasked,
          offerH2,
          timeoutMs: options.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
          signal,
        },
        function startServing(opened) {
          served =
            opened.kind === 'h2'
              ? serveRawTunnel(opened.socket, opened.head, server, serveOptions)
              : serveTunnel(opened.ws, server, serveOptions);
        },
      );
      logger.info({ kasAddress: options.kasAddress, transport: carrier.kind }, 'connected to the server');
      options.onConnected?.();
      const result = await served!;
      reason = typeof result === 'string' ? result : result.reason;
      options.onDisconnected?.(reason);
      if (signal.aborted) break;
      logger.warn({ reason }, `tunnel connection closed: ${reason}`);
      if (typeof result !== 'string') rawFailures = result.settingsReceived ? 0 : rawFailures + 1;
      if (rawFailures === 1 && offerH2) {
        logger.info({ reason }, 'no HTTP/2 came through on the connection; trying HTTP/2 on the socket once more before falling back to WebSocket frames');
      } else if (rawFailures >= RAW_FAILURES_BEFORE_FALLBACK && offerH2) {
        offerH2 = false;
        logger.warn(
          { reason },
          'the server accepted HTTP/2 directly on the connection, but no HTTP/2 came through ' +
            '(something between the agent and the server, such as a proxy, reads WebSocket frames); ' +
            'using WebSocket frames from now on. Set --tunnel-transport websocket (KUBEGATE_TUNNEL_TRANSPORT=websocket) to skip this attempt',
        );
      }
    } catch (err) {
      if (signal.aborted) break;
      if (caCert === undefined && isUntrustedCertificate(err)) {
        const proven = await proveServerCa(options, logger);
        if (proven) {
          caCert = proven;
          continue;
        }
      }
      reason = err instanceof DialError ? err.message : `unexpected failure: ${(err as Error).message}`;
      logger.warn({ reason, status: (err as DialError).status }, `cannot connect to the server: ${reason}`);
    }
    // A connection that stayed up a while was healthy: start over from the short delay.
    attempt = Date.now() - startedAt >= resetAfter ? 0 : attempt + 1;
    const delay = backoffDelay(Math.max(0, attempt - 1), minBackoff, maxBackoff);
    logger.info({ delayMs: delay }, `reconnecting in ${(delay / 1000).toFixed(1)} s`);
    await sleep(delay, signal);
  }
  logger.info('tunnel stopped');
}

export interface AcceptedTunnelOptions {
  handler: TunnelHandler;
  logger: Logger;
  info: TunnelAgentOptions['info'];
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  shutdownGraceMs?: number;
}

/**
 * Serves the tunnel over a WebSocket the agent accepted (receptive agents: the server
 * dialed in and its JWT was checked by the caller). Call it inside the socket's `open`
 * (or the WebSocketServer's `connection`) callback, before any message can arrive.
 * Resolves with why the connection ended.
 */
export function serveAcceptedTunnel(ws: WebSocket, options: AcceptedTunnelOptions, signal: AbortSignal): Promise<string> {
  const server = createAgentHttp2Server(options.handler, infoReader(options.info), options.logger.child({ module: 'tunnel' }));
  return serveTunnel(ws, server, {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    shutdownGraceMs: options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS,
    signal,
  });
}

/**
 * The server's private CA, proven with the agent token (see `lib/ca_proof.ts`), or
 * undefined (logged) when the server cannot prove one: the dial error then stands.
 */
async function proveServerCa(options: TunnelAgentOptions, logger: Logger): Promise<string | undefined> {
  const kas = new URL(options.kasAddress);
  const base = `https://${kas.host}${kas.pathname.replace(/\/-\/kubernetes-agent\/?$/, '')}`;
  const proxy = options.proxy === undefined ? proxyFromEnvironment(options.kasAddress) : options.proxy;
  try {
    const proven = await fetchProvenCa(base, options.token, proxy ? { agent: new HttpsProxyAgent(proxy) } : {});
    logger.info({ caFingerprint: proven.fingerprint }, `trusting the server's private CA (SHA-256 ${proven.fingerprint}), proven with the agent token`);
    return proven.caPem;
  } catch (err) {
    logger.warn({ reason: (err as Error).message }, `the server's certificate is not trusted and its CA could not be proven: ${(err as Error).message}; pass it with --kas-ca-cert-file`);
    return undefined;
  }
}

function infoReader(info: TunnelAgentOptions['info']): () => Promise<AgentInfo> {
  return async function readAgentInfo() {
    return typeof info === 'function' ? await info() : info;
  };
}
