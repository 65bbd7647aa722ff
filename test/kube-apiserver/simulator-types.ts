// The test-facing contract of the simulator: options and the handle
// startKubeApiServer returns. Tests and benchmarks depend on this file only
// (through index.ts); everything else is internal.

import type { KubeObject, UserInfo } from './api/types.js';
import type { RequestRecord } from './context.js';
import type { TcpTarget } from './streams/targets.js';
import type { StreamKind } from './streams/tracker.js';
import type { HeldRequest, RequestHold } from './http/holds.js';

export type { HeldRequest, RequestHold } from './http/holds.js';

export interface KubeApiServerOptions {
  /** Listen port; 0 (default) picks a free one. Host is always 127.0.0.1. */
  port?: number;
  /** Delay before a created pod runs (default 50 ms). */
  podStartDelayMs?: number;
  /** Interval of the default container program's log lines (default 1000 ms). */
  podLogIntervalMs?: number;
  /** Install the Flux GitRepository/Receiver CRDs at start (default true). */
  fluxCrds?: boolean;
  /** Offer HTTP/2 (ALPN h2) besides HTTP/1.1, like the real server (default true). */
  http2?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per HTTP/2 connection (default 100, the real server's). */
  http2MaxConcurrentStreams?: number;
  /** Fixed admin token instead of a random one. */
  adminToken?: string;
}

export interface KubeApiSimulator {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** PEM of the CA that signed the serving certificate. */
  readonly caCert: string;
  /** Token of `kubernetes-admin` in `system:masters`. */
  readonly adminToken: string;
  /** The newest 10 000 requests, oldest first (cleared with clearRequests). */
  readonly requests: readonly RequestRecord[];
  addToken(token: string, user: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }): void;
  removeToken(token: string): void;
  /**
   * A webhook token authenticator for bearer tokens not added above (plain requests only,
   * not upgrades); undefined removes it. An accepted token is remembered.
   */
  setTokenWebhook(webhook: ((token: string) => Promise<{ username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } | undefined>) | undefined): void;
  /** Creates the ServiceAccount object if missing and returns a token that authenticates as it. */
  serviceAccountToken(namespace: string, name: string): string;
  /** Create-or-replace any object as the system (no RBAC), e.g. fixtures and RBAC bindings. */
  apply(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** Resolves when a pod has left Pending (Running or finished). */
  waitForPodRunning(namespace: string, name: string, timeoutMs?: number): Promise<KubeObject>;
  /** Adds a line to a pod container's log (and to `logs -f` followers). */
  appendLog(namespace: string, pod: string, line: string, container?: string): void;
  /** Port-forward to this pod port connects to `target` (default: a built-in echo server). */
  setPortTarget(namespace: string, pod: string, port: number, target: TcpTarget): void;
  /** services/<name>/proxy forwards HTTP to `target`. */
  setServiceTarget(namespace: string, service: string, target: TcpTarget, port?: string | number): void;
  /** The built-in echo server port-forwards use by default. */
  readonly echoTarget: TcpTarget;
  /** The user a token belongs to, to compare with request records. */
  userForToken(token: string): UserInfo | undefined;
  /** Long-lived responses still open, by kind — 0 everywhere once clients (and proxies) hung up. */
  openStreams(): Record<StreamKind, number>;
  /**
   * Holds every plain (non-upgrade) request `match` accepts before it is handled, until
   * `release()`: for tests that must know a request is in flight.
   */
  holdRequests(match: (req: HeldRequest) => boolean): RequestHold;
  /** HTTP/2 connections open now (clients multiplex streams on them). */
  http2Sessions(): number;
  clearRequests(): void;
  close(): Promise<void>;
}
