/**
 * An agent's connection status as the clusters page shows it. The API lists the live
 * connections of every pod; "last contact" of an agent that is not connected is the
 * newest `last_used_at` of its tokens (an agent uses its token each time it connects),
 * as GitLab shows it.
 */
import type { Agent, AgentToken } from '../../api/types';

export type ConnectionStatus = { kind: 'connected'; pods: number } | { kind: 'notConnected' } | { kind: 'neverConnected' } | { kind: 'unknown' };

export function lastUsed(tokens: readonly AgentToken[] | undefined): string | null {
  if (!tokens) return null;
  let newest: string | null = null;
  for (const t of tokens) if (t.last_used_at && (!newest || Date.parse(t.last_used_at) > Date.parse(newest))) newest = t.last_used_at;
  return newest;
}

/** `tokens` undefined: not loaded yet (a disconnected agent's status is then unknown, not "never"). */
export function connectionStatus(agent: Agent, tokens: readonly AgentToken[] | undefined): ConnectionStatus {
  const pods = new Set(agent.connections.map((c) => `${c.pod_namespace}/${c.pod_name}`)).size;
  if (pods > 0) return { kind: 'connected', pods };
  if (tokens === undefined) return { kind: 'unknown' };
  return lastUsed(tokens) ? { kind: 'notConnected' } : { kind: 'neverConnected' };
}

export const STATUS_LABEL: Record<ConnectionStatus['kind'], string> = {
  connected: 'Connected',
  notConnected: 'Not connected',
  neverConnected: 'Never connected',
  unknown: 'Not connected',
};

/** Distinct values, for "1.2.0, 1.3.0" columns over several pods. */
export function distinct(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))].sort();
}
