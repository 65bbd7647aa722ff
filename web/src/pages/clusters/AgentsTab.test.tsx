import { describe, expect, test } from 'vitest';
import { screen, within } from '@testing-library/react';
import { PROJECT, agentFixture, fakeApi, renderApp } from '../../test/render';

const connected = agentFixture({
  id: 3,
  name: 'prod',
  connections: [
    { connection_id: 1, connected_at: '2026-01-01T10:00:00Z', pod_name: 'agent-a', pod_namespace: 'gitlab-agent', version: '0.1.0', commit: 'c1', kubernetes_version: 'v1.32.1', tunnel_transport: 'h2' },
    { connection_id: 2, connected_at: '2026-01-01T10:00:05Z', pod_name: 'agent-b', pod_namespace: 'gitlab-agent', version: '0.3.0', commit: 'c2', kubernetes_version: 'v1.32.1', tunnel_transport: 'h2' },
  ],
  warnings: [{ type: 'agent_versions_differ', message: "the agent's pods run different versions (0.1.0, 0.3.0); finish the rollout so that all pods run one version" }],
});
const broken = agentFixture({
  id: 4,
  name: 'staging',
  configuration: {
    errors: [{ message: 'line 4, column 7: unknown key "default-namespace"; did you mean "default_namespace"?', line: 4, column: 7, path: 'ci_access.projects[0]' }],
    warnings: [],
    commit: 'f00dcafe00000000000000000000000000000000',
    ci_access: { projects: [], groups: [] },
  },
});
const token = (agentId: number, last_used_at: string | null) => [{ id: agentId * 10, name: 't', description: null, agent_id: agentId, status: 'active', created_at: '2026-01-01T00:00:00Z', created_by_user_id: 1, last_used_at }];

describe('Kubernetes clusters: agents', () => {
  test('each agent with its status, pods, versions, version warnings and configuration errors linked to their line', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { body: [connected, broken] },
      'GET /projects/platform%2Fclusters/cluster_agents/3/tokens': { body: token(3, '2026-01-01T10:00:00Z') },
      'GET /projects/platform%2Fclusters/cluster_agents/4/tokens': { body: token(4, null) },
    });
    renderApp('/platform/clusters/-/clusters');
    const table = await screen.findByRole('table', { name: /Agents of/ });
    const [, prodRow, stagingRow] = within(table).getAllByRole('row');
    expect(within(prodRow!).getByText('Connected')).toBeTruthy();
    expect(within(prodRow!).getByText('2 pods')).toBeTruthy();
    expect(within(prodRow!).getByText('0.1.0, 0.3.0')).toBeTruthy();
    expect(within(prodRow!).getByText(/finish the rollout/)).toBeTruthy();
    expect(within(prodRow!).getByText('v1.32.1')).toBeTruthy();
    expect(await within(stagingRow!).findByText('Never connected')).toBeTruthy();
    expect(within(stagingRow!).getByText('1 error')).toBeTruthy();

    const link = screen.getByRole('link', { name: '.gitlab/agents/staging/config.yaml, line 4, column 7' });
    expect(link.getAttribute('href')).toBe('/platform/clusters/-/blob/main/.gitlab/agents/staging/config.yaml#L4');
    expect(screen.getByText(/unknown key "default-namespace"/)).toBeTruthy();
    expect(screen.getByText(/the agent keeps the last valid configuration/)).toBeTruthy();
  });

  test('no agents: says what an agent is and how to connect one', async () => {
    fakeApi({ 'GET /projects/platform%2Fclusters': { body: PROJECT }, 'GET /projects/platform%2Fclusters/cluster_agents': { body: [] } });
    renderApp('/platform/clusters/-/clusters');
    expect(await screen.findByText('No agents yet')).toBeTruthy();
    expect(screen.getAllByRole('link', { name: 'Connect a cluster' }).length).toBeGreaterThan(0);
  });

  test('an API error is shown in words, with a way to try again', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { status: 403, body: { message: '403 Forbidden: you need at least the Developer role on project platform/clusters to see its agents' } },
    });
    renderApp('/platform/clusters/-/clusters');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load agents.');
    expect(alert.textContent).toContain('you need at least the Developer role');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
