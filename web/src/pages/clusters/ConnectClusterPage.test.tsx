import { describe, expect, test } from 'vitest';
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { FastifyBaseLogger } from 'fastify';
import { installJson } from '../../../../src/modules/agents/install.js';
import { installInstructions } from '../../../../src/modules/charts/install_command.js';
import { PROJECT, TEST_CSRF, agentFixture, fakeApi, renderApp } from '../../test/render';

const AT = '/platform/clusters/-/clusters/connect';
const TOKEN = 'kgagent-0123456789abcdefghijklmnopqrstuv';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnRl\n-----END CERTIFICATE-----\n';
/** What the server answers with a private CA, made by the server's own code (imported by this test only). */
function serverInstall(caCert: string | null) {
  return installJson(
    (agentName, token, options) => installInstructions({ externalUrl: 'https://kubegate.example.com', agentName, token, version: '0.1.0', caCert, ...options }),
    'prod',
    TOKEN,
    {},
    console as unknown as FastifyBaseLogger,
  )!;
}
const INSTALL = serverInstall(CA);
const tokenAnswer = (install: unknown) => ({ id: 1, name: 'prod', description: null, agent_id: 9, status: 'active', created_at: '2026-01-01T00:00:00Z', created_by_user_id: 1, last_used_at: null, token: TOKEN, ...(install ? { install } : {}) });

async function connect(install: unknown) {
  const api = fakeApi({
    'GET /projects/platform%2Fclusters': { body: PROJECT },
    'POST /projects/platform%2Fclusters/cluster_agents': { status: 201, body: agentFixture({ id: 9, name: 'prod' }) },
    'POST /projects/platform%2Fclusters/cluster_agents/9/tokens': { status: 201, body: tokenAnswer(install) },
  });
  const user = userEvent.setup();
  renderApp(AT);
  await user.type(await screen.findByLabelText(/Agent name/), 'prod');
  await user.click(screen.getByRole('button', { name: 'Create and register' }));
  await screen.findByText('You will not see this token again.');
  return { api, user };
}

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

  test("create and register: the token is shown once with a copy button and the server's install command, verbatim", async () => {
    const { api, user } = await connect(INSTALL);
    expect((screen.getByLabelText(/Token “prod”/) as HTMLInputElement).value).toBe(TOKEN);
    expect(screen.getByLabelText('Installation command').textContent).toBe(INSTALL.command);

    await user.click(screen.getByRole('button', { name: 'Copy token' }));
    expect(await navigator.clipboard.readText()).toBe(TOKEN);
    await user.click(screen.getByRole('button', { name: 'Copy command' }));
    expect(await navigator.clipboard.readText()).toBe(INSTALL.command);

    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.path, r.body])).toEqual([
      ['/projects/platform%2Fclusters/cluster_agents', { name: 'prod' }],
      ['/projects/platform%2Fclusters/cluster_agents/9/tokens', { name: 'prod' }],
    ]);
    // Every write carries the session's CSRF token.
    for (const post of posts) expect(post.headers['x-csrf-token']).toBe(TEST_CSRF);
    // Nothing of the command is computed here: no other read is made for it.
    expect(api.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(['/-/session', '/projects/platform%2Fclusters']);
  });

  test('with a private CA, the page says how to get the file the command reads', async () => {
    const { user } = await connect(INSTALL);
    const download = screen.getByRole('link', { name: 'Download kubegate-ca.pem' });
    expect(download.getAttribute('href')).toBe('/-/tls/ca.pem');
    expect(download.getAttribute('download')).toBe('kubegate-ca.pem');
    const write = screen.getByLabelText('Command that writes the CA certificate');
    expect(write.textContent).toBe(`cat > kubegate-ca.pem <<'EOF'\n${CA.trimEnd()}\nEOF\n`);
    await user.click(screen.getByRole('button', { name: 'Copy CA command' }));
    expect(await navigator.clipboard.readText()).toBe(write.textContent);
  });

  test('without a private CA there is no CA step; without a command, the page says so and keeps the token', async () => {
    const publicCa = serverInstall(null);
    await connect(publicCa);
    expect(screen.getByLabelText('Installation command').textContent).toBe(publicCa.command);
    expect(screen.queryByRole('link', { name: /Download/ })).toBeNull();
    cleanup();

    await connect(undefined);
    expect((screen.getByLabelText(/Token “prod”/) as HTMLInputElement).value).toBe(TOKEN);
    expect(screen.queryByLabelText('Installation command')).toBeNull();
    expect(screen.getByText(/answered the token without its installation command/)).toBeTruthy();
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
