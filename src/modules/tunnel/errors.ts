import { KubegateError } from '../../lib/errors.js';

/**
 * No pod of the agent is connected. The k8s proxy answers 503 (`code` is `unavailable`);
 * the message is the user-facing one.
 */
export class NoAgentConnectionError extends KubegateError {
  readonly agentId: number;

  constructor(agentId: number) {
    super('unavailable', `agent ${agentId} has no connected pods; is the agent running? check its logs`);
    this.name = 'NoAgentConnectionError';
    this.agentId = agentId;
  }
}

/**
 * The connection carrying a request broke before the answer's headers arrived (the pod
 * went away, the heartbeat timed out, the token was revoked). Answered as 503 too: a
 * retry may land on another pod.
 */
export class TunnelRequestError extends KubegateError {
  readonly agentId: number;

  constructor(agentId: number, reason: string, options?: { cause?: unknown }) {
    super('unavailable', `the tunnel to agent ${agentId} failed: ${reason}`, options);
    this.name = 'TunnelRequestError';
    this.agentId = agentId;
  }
}

/** The caller's signal aborted the request. */
export class TunnelAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the tunnel request was aborted', options);
    this.name = 'AbortError';
  }
}

/**
 * Every connection of the agent carries as many streams as its pod allows (its HTTP/2
 * SETTINGS): answered 503 at once rather than queued behind streams that may last hours.
 */
export class TunnelBusyError extends KubegateError {
  readonly agentId: number;

  constructor(agentId: number, connections: number, maxStreams: number) {
    super('unavailable', `agent ${agentId}: its ${connections} connected pod(s) each carry their maximum of ${maxStreams} concurrent requests; close some (watches, logs -f, exec) or run more agent replicas`);
    this.name = 'TunnelBusyError';
    this.agentId = agentId;
  }
}
