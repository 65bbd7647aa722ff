/**
 * What both sides of the tunnel agree on: the agent-info headers, the upgrade convention
 * and the HTTP/2 settings. No server or agent logic lives here, so both halves may import
 * it.
 */
import { createHash } from 'node:crypto';
import type { Settings } from 'node:http2';
import {
  HTTP2_CONNECTION_WINDOW_BYTES,
  HTTP2_MAX_CONCURRENT_STREAMS,
  HTTP2_MAX_FRAME_BYTES,
  HTTP2_MAX_SESSION_MEMORY_MIB,
  HTTP2_STREAM_WINDOW_BYTES,
} from './defaults.js';

/** What an agent pod reports about itself (DESIGN §1 "status"). */
export interface AgentInfo {
  version: string;
  commit: string;
  podName: string;
  podNamespace: string;
  /** e.g. `v1.32.1`; empty when the agent could not ask its cluster yet. */
  kubernetesVersion: string;
}

/**
 * Headers on the WebSocket upgrade request that carry `AgentInfo`, and the JSON answer
 * to `AGENT_INFO_PATH` that refreshes it while connected.
 */
export const AGENT_INFO_HEADERS: Record<keyof AgentInfo, string> = {
  version: 'kubegate-agent-version',
  commit: 'kubegate-agent-commit',
  podName: 'kubegate-agent-pod-name',
  podNamespace: 'kubegate-agent-pod-namespace',
  kubernetesVersion: 'kubegate-agent-kubernetes-version',
};

/**
 * A request the tunnel agent answers itself (never the caller's handler): the agent's
 * current `AgentInfo` as JSON. The path cannot collide with a Kubernetes API path.
 * Served only on the control path (`TUNNEL_CONTROL_HEADER`).
 */
export const AGENT_INFO_PATH = '/-/kubegate-tunnel/info';

/**
 * Marks the server's own requests to the agent (the control path). The agent answers its
 * own endpoints only to requests carrying it, and gives every request without it to the
 * caller's handler. Proxied requests can never carry it: the server's proxy drops every
 * `kubegate-…` header a caller sends, and forwards only Kubernetes API paths.
 */
export const TUNNEL_CONTROL_HEADER = 'kubegate-tunnel-control';

/**
 * HTTP/2 has no `101 Switching Protocols` and forbids `Connection`/`Upgrade` headers, so
 * an upgraded request (exec, attach, port-forward) travels as an ordinary HTTP/2 stream:
 * - the server sets `UPGRADE_HEADER` to the caller's `Upgrade` value (e.g. `SPDY/3.1`,
 *   `websocket`); the agent re-adds `Connection: Upgrade` + `Upgrade` when it calls the
 *   Kubernetes API;
 * - if the Kubernetes API switched protocols, the agent answers HTTP/2 status 200 with
 *   `UPGRADED_HEADER: 101` (plus the 101's headers, e.g. `sec-websocket-accept`), and from
 *   then on the stream carries raw bytes both ways;
 * - any other answer (403, 400…) is passed on as it is, without `UPGRADED_HEADER`.
 */
export const UPGRADE_HEADER = 'kubegate-upgrade';
export const UPGRADED_HEADER = 'kubegate-upgraded-status';

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); they are dropped before a request is sent. */
export const CONNECTION_SPECIFIC_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** The SETTINGS both sides announce. */
export const HTTP2_SETTINGS: Settings = {
  initialWindowSize: HTTP2_STREAM_WINDOW_BYTES,
  maxFrameSize: HTTP2_MAX_FRAME_BYTES,
  maxConcurrentStreams: HTTP2_MAX_CONCURRENT_STREAMS,
  enablePush: false,
};

/** Session options both sides pass to `node:http2`. */
export const HTTP2_SESSION_OPTIONS = {
  settings: HTTP2_SETTINGS,
  maxSessionMemory: HTTP2_MAX_SESSION_MEMORY_MIB,
} as const;

/**
 * Raises the connection-level receive window: `initialWindowSize` covers streams only,
 * the connection window starts at 64 KiB and must be widened explicitly.
 */
export function widenConnectionWindow(session: { setLocalWindowSize(size: number): void }): void {
  session.setLocalWindowSize(HTTP2_CONNECTION_WINDOW_BYTES);
}

/**
 * The WebSocket subprotocol an agent offers when it can run HTTP/2 directly on the
 * upgraded TLS/TCP connection. A server that selects it in its `101` stops speaking
 * WebSocket on that connection: after the handshake both ends run HTTP/2 (same reversed
 * roles, same settings) on the socket itself. A server that does not select it (or a
 * client that does not offer it) keeps HTTP/2 inside WebSocket binary frames.
 */
export const TUNNEL_H2_SUBPROTOCOL = 'kubegate-tunnel-h2';

/** Which carrier a tunnel connection runs on: HTTP/2 on the socket, or inside WebSocket frames. */
export type TunnelCarrierKind = 'h2' | 'websocket';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * Why a raw HTTP/2 tunnel is closed, carried as a GOAWAY's opaque data. The encoding is a
 * WebSocket close frame's payload (RFC 6455 §5.5.1: a 2-byte close code, then the UTF-8
 * reason), so both transports give the same close code and reason to the same log
 * wording. Reasons are truncated to 120 bytes, as for WebSocket close frames.
 */
export function encodeCloseReason(code: number, reason: string): Buffer {
  const text = Buffer.from(truncateUtf8(reason, 120));
  const out = Buffer.alloc(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

/** The close code and reason of a GOAWAY's opaque data; undefined when it carries none. */
export function decodeCloseReason(data: Buffer | undefined): { code: number; reason: string } | undefined {
  if (!data || data.length < 2) return undefined;
  return { code: data.readUInt16BE(0), reason: data.subarray(2).toString('utf8') };
}

/** `text` cut to at most `maxBytes` of UTF-8, never in the middle of a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  return bytes.length <= maxBytes ? text : bytes.subarray(0, maxBytes).toString().replace(/\uFFFD$/, '');
}
