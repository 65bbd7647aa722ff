import { describe, expect, test } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PROJECT, TEST_CSRF, agentFixture, fakeApi, renderApp } from '../../test/render';

const AT = '/platform/clusters/-/cluster_agents/prod?tab=tokens';
const INSTALL = { chart_repository_url: 'http://kubegate.test/-/charts', helm_release_name: 'prod', namespace: 'kubegate-agent-prod', ca_cert: null, ca_cert_file: null };
const token = (id: number, name: string, status: 'active' | 'revoked') => ({ id, name, description: null, agent_id: 3, status, created_at: '2026-01-01T00:00:00Z', created_by_user_id: 1, last_used_at: null });

describe('agent access tokens', () => {
  test('with two active tokens, creating a third is disabled and the limit explained', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { body: [agentFixture()] },
      'GET /projects/platform%2Fclusters/cluster_agents/3/tokens': { body: [token(1, 'old', 'active'), token(2, 'new', 'active')] },
    });
    renderApp(AT);
    const button = await screen.findByRole('button', { name: 'Create token' });
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(true));
    const explanation = document.getElementById(button.getAttribute('aria-describedby')!);
    expect(explanation?.textContent).toContain('has 2 active tokens, the most it can have. Revoke one');
  });

  test('revoking asks first, then sends DELETE with the CSRF token and shows the token revoked', async () => {
    let revoked = false;
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { body: [agentFixture()] },
      'GET /projects/platform%2Fclusters/cluster_agents/3/tokens': () => ({ body: [token(1, 'first', revoked ? 'revoked' : 'active')] }),
      'DELETE /projects/platform%2Fclusters/cluster_agents/3/tokens/1': () => {
        revoked = true;
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    renderApp(AT);
    await user.click(await screen.findByRole('button', { name: 'Revoke token first' }));
    const confirm = screen.getByRole('group', { name: 'Confirm revoking token first' });
    expect(confirm.textContent).toContain('are disconnected');
    await user.click(within(confirm).getByRole('button', { name: 'Revoke token first' }));
    const row = await screen.findByRole('row', { name: /first/ });
    await waitFor(() => expect(within(row).getByText('Revoked')).toBeTruthy());
    const del = api.requests.find((r) => r.method === 'DELETE');
    expect(del?.headers['x-csrf-token']).toBe(TEST_CSRF);
  });

  test('a created token is shown once', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { body: [agentFixture()] },
      'GET /projects/platform%2Fclusters/cluster_agents/3/tokens': { body: [] },
      'POST /projects/platform%2Fclusters/cluster_agents/3/tokens': (req) => ({ status: 201, body: { ...token(5, (req.body as { name: string }).name, 'active'), token: 'kgagent-secret', install: { ...INSTALL, command: `helm upgrade --install prod … --set config.token=kgagent-secret …\n` } } }),
    });
    const user = userEvent.setup();
    renderApp(AT);
    expect(await screen.findByText('No tokens')).toBeTruthy();
    await user.type(screen.getByLabelText(/Token name/), 'rotation');
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    expect(((await screen.findByLabelText(/Token “rotation”/)) as HTMLInputElement).value).toBe('kgagent-secret');
    expect(screen.getByText('You will not see this token again.')).toBeTruthy();
    // A rotated token comes with the command that installs (or upgrades) the agent with it.
    expect(screen.getByLabelText('Installation command').textContent).toBe('helm upgrade --install prod … --set config.token=kgagent-secret …\n');
  });
});
