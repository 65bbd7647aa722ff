/**
 * What both sides of the tunnel agree on: the agent-info headers, the upgrade convention
 * and the HTTP/2 settings. No server or agent logic lives here, so both halves may import
 * it.
 */
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
 */
export const AGENT_INFO_PATH = '/-/kubegate-tunnel/info';

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
