import { describe, expect, test } from 'vitest';
import { connectionStatus, lastUsed } from './agentStatus';
import { agentFixture } from '../../test/render';
import type { Agent, AgentToken } from '../../api/types';

const token = (last_used_at: string | null) => ({ id: 1, name: 't', description: null, agent_id: 3, status: 'active', created_at: '2026-01-01T00:00:00Z', created_by_user_id: 1, last_used_at }) as AgentToken;
const conn = (pod: string) => ({ connection_id: Math.random(), connected_at: '2026-01-01T00:00:00Z', pod_name: pod, pod_namespace: 'ns', version: '0.1.0', commit: 'x', kubernetes_version: 'v1.32.0', tunnel_transport: 'h2' as const });

describe('agent status', () => {
  test('connected with the number of distinct pods', () => {
    const agent = agentFixture({ connections: [conn('a'), conn('b'), conn('a')] }) as unknown as Agent;
    expect(connectionStatus(agent, undefined)).toEqual({ kind: 'connected', pods: 2 });
  });

  test('a token that was used means the agent connected before', () => {
    const agent = agentFixture() as unknown as Agent;
    expect(connectionStatus(agent, [token(null), token('2026-02-01T00:00:00Z')])).toEqual({ kind: 'notConnected' });
    expect(connectionStatus(agent, [token(null)])).toEqual({ kind: 'neverConnected' });
    expect(connectionStatus(agent, undefined)).toEqual({ kind: 'unknown' });
  });

  test('last contact is the newest use of any token', () => {
    expect(lastUsed([token('2026-02-01T00:00:00Z'), token('2026-03-01T00:00:00Z'), token(null)])).toBe('2026-03-01T00:00:00Z');
    expect(lastUsed([])).toBeNull();
  });
});
