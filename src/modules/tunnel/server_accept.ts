import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isKubegateError } from '../../lib/errors.js';
import { AGENT_INFO_HEADERS, type AgentInfo } from './shared.js';

export interface AgentIdentity {
  agentId: number;
  tokenId: number;
}

/**
 * Null refuses with the generic message; `{ refused }` refuses with that message (e.g.
 * "the agent token was revoked"), which the agent logs as the reason.
 */
export type Authenticate = (token: string) => Promise<AgentIdentity | { refused: string } | null>;

/** Why an upgrade was refused; `message` is written to the agent's log as it is. */
export interface Refusal {
  status: number;
  message: string;
}

const MISSING_TOKEN =
  'no agent token: send "Authorization: Bearer <agent token>" (kubegate agent --token-file or KUBEGATE_AGENT_TOKEN)';
const REJECTED_TOKEN =
  'the agent token was rejected: it is revoked or wrong; create a new token for this agent and update the agent\'s secret';
const CHECK_FAILED = 'the server could not check the agent token right now; the agent will retry';

/**
 * Checks the bearer token of an upgrade request. `authenticate` answering null or
 * throwing means 401, except a `KubegateError` with code `unavailable` (the store is
 * down), which is 503 so that the agent does not report a valid token as revoked.
 */
export async function checkAgentToken(
  req: IncomingMessage,
  authenticate: Authenticate,
): Promise<{ identity: AgentIdentity } | { refusal: Refusal; cause?: unknown }> {
  const token = bearerToken(req.headers.authorization);
  if (!token) return { refusal: { status: 401, message: MISSING_TOKEN } };
  try {
    const identity = await authenticate(token);
    if (identity && 'refused' in identity) return { refusal: { status: 401, message: identity.refused } };
    if (identity) return { identity };
    return { refusal: { status: 401, message: REJECTED_TOKEN } };
  } catch (err) {
    if (isKubegateError(err) && err.code === 'unavailable') {
      return { refusal: { status: 503, message: CHECK_FAILED }, cause: err };
    }
    return { refusal: { status: 401, message: REJECTED_TOKEN }, cause: err };
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/** Answers a refused upgrade on the raw socket with a plain-text body, then closes it. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  const body = `${refusal.message}\n`;
  const reason = refusal.status === 401 ? 'Unauthorized' : refusal.status === 503 ? 'Service Unavailable' : 'Bad Request';
  const head = [
    `HTTP/1.1 ${refusal.status} ${reason}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(refusal.status === 401 ? ['WWW-Authenticate: Bearer'] : []),
    '',
    '',
  ].join('\r\n');
  socket.end(head + body);
}

/** Longest value kept from an agent-info header (a DNS name is at most 253). */
const MAX_INFO_LENGTH = 253;

/** The agent's self-description from its upgrade request; missing values are empty. */
export function agentInfoFromHeaders(req: IncomingMessage): AgentInfo {
  const read = (name: string): string => {
    const value = req.headers[name];
    const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
    return text.slice(0, MAX_INFO_LENGTH);
  };
  return {
    version: read(AGENT_INFO_HEADERS.version),
    commit: read(AGENT_INFO_HEADERS.commit),
    podName: read(AGENT_INFO_HEADERS.podName),
    podNamespace: read(AGENT_INFO_HEADERS.podNamespace),
    kubernetesVersion: read(AGENT_INFO_HEADERS.kubernetesVersion),
  };
}
