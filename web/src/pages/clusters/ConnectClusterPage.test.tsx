import { describe, expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PROJECT, TEST_CSRF, agentFixture, fakeApi, renderApp } from '../../test/render';

const AT = '/platform/clusters/-/clusters/connect';
const VERSION = { version: '0.1.0', revision: 'r', kas: { enabled: true, externalUrl: 'wss://kubegate.example.com/-/kubernetes-agent/', version: '0.1.0' } };
const TOKEN = 'kgagent-0123456789abcdefghijklmnopqrstuv';

function errorOf(input: HTMLElement): string {
  const ids = (input.getAttribute('aria-describedby') ?? '').split(' ');
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}

describe('Connect a cluster', () => {
  test('the name is checked as it is typed, with the API\'s messages', async () => {
    fakeApi({ 'GET /projects/platform%2Fclusters': { body: PROJECT } });
    const user = userEvent.setup();
    renderApp(AT);
    const input = await screen.findByLabelText(/Agent name/);
    await user.type(input, 'Prod');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(input)).toContain('name "Prod" must be lower case: use "prod"');
    await user.clear(input);
    await user.type(input, 'prod_eu');
    expect(errorOf(input)).toContain(`name "prod_eu" contains "_": only lower-case letters, digits and '-' are allowed`);
    await user.clear(input);
    await user.type(input, 'prod-eu');
    expect(input.getAttribute('aria-invalid')).toBeNull();
  });

  test('an invalid name is never sent', async () => {
    const api = fakeApi({ 'GET /projects/platform%2Fclusters': { body: PROJECT } });
    const user = userEvent.setup();
    renderApp(AT);
    await user.click(await screen.findByRole('button', { name: 'Create and register' }));
    expect(errorOf(screen.getByLabelText(/Agent name/))).toContain('name is missing');
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  test('create and register: the token is shown once with a copy button and the install command', async () => {
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /version': { body: VERSION },
      'POST /projects/platform%2Fclusters/cluster_agents': { status: 201, body: agentFixture({ id: 9, name: 'prod' }) },
      'POST /projects/platform%2Fclusters/cluster_agents/9/tokens': { status: 201, body: { id: 1, name: 'prod', description: null, agent_id: 9, status: 'active', created_at: '2026-01-01T00:00:00Z', created_by_user_id: 1, last_used_at: null, token: TOKEN } },
    });
    const user = userEvent.setup();
    renderApp(AT);
    await user.type(await screen.findByLabelText(/Agent name/), 'prod');
    await user.click(screen.getByRole('button', { name: 'Create and register' }));

    expect(await screen.findByText('You will not see this token again.')).toBeTruthy();
    expect((screen.getByLabelText(/Token “prod”/) as HTMLInputElement).value).toBe(TOKEN);
    const command = await screen.findByLabelText('Installation command');
    expect(command.textContent).toContain(`--set config.token=${TOKEN}`);
    expect(command.textContent).toContain('--set config.kasAddress=wss://kubegate.example.com/-/kubernetes-agent/');

    await user.click(screen.getByRole('button', { name: 'Copy token' }));
    expect(await navigator.clipboard.readText()).toBe(TOKEN);
    expect(await screen.findByText('Copied')).toBeTruthy();

    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.path, r.body])).toEqual([
      ['/projects/platform%2Fclusters/cluster_agents', { name: 'prod' }],
      ['/projects/platform%2Fclusters/cluster_agents/9/tokens', { name: 'prod' }],
    ]);
    // Every write carries the session's CSRF token.
    for (const post of posts) expect(post.headers['x-csrf-token']).toBe(TEST_CSRF);
  });

  test('an API refusal is shown beside the field it concerns', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'POST /projects/platform%2Fclusters/cluster_agents': { status: 409, body: { message: 'an agent named "prod" is already registered in project platform/clusters; choose another name' } },
    });
    const user = userEvent.setup();
    renderApp(AT);
    const input = await screen.findByLabelText(/Agent name/);
    await user.type(input, 'prod');
    await user.click(screen.getByRole('button', { name: 'Create and register' }));
    await waitFor(() => expect(errorOf(input)).toContain('is already registered in project platform/clusters; choose another name'));
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });
});
