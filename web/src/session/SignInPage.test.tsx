import { describe, expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PROJECT, TEST_USER, fakeApi, renderApp } from '../test/render';
import { safeRedirect } from './SignInPage';

const SESSION = { user: TEST_USER, csrf_token: 'csrf', expires_at: '2099-01-01T00:00:00Z' };

describe('sign-in', () => {
  test('a signed-out visitor signs in and comes back to the page asked for', async () => {
    const api = fakeApi({
      'GET /-/session': { status: 401, body: { message: '401 Unauthorized: you are not signed in' } },
      'POST /-/session': { status: 201, body: SESSION },
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/cluster_agents': { body: [] },
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters?tab=agent');
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/users/sign_in?redirect=%2Fplatform%2Fclusters%2F-%2Fclusters%3Ftab%3Dagent'));
    await user.type(screen.getByLabelText(/Personal access token/), 'kgpat-secret');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Kubernetes clusters' })).toBeTruthy();
    expect(screen.getByTestId('location').textContent).toBe('/platform/clusters/-/clusters?tab=agent');
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ token: 'kgpat-secret' });
  });

  test('a refused token is explained', async () => {
    fakeApi({
      'GET /-/session': { status: 401, body: { message: '401 Unauthorized: you are not signed in' } },
      'POST /-/session': { status: 401, body: { message: '401 Unauthorized: the token has been revoked; create a new personal access token' } },
    });
    const user = userEvent.setup();
    renderApp('/users/sign_in');
    await user.type(await screen.findByLabelText(/Personal access token/), 'kgpat-old');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('the token has been revoked');
  });

  test('when the session ends, the next API answer sends the user to sign in again, saying why', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { status: 401, body: { message: '401 Unauthorized: your session expired at 2026-01-01T08:00:00.000Z; sign in again' } },
    });
    renderApp('/platform/clusters');
    expect(await screen.findByText(/your session expired at 2026-01-01T08:00:00.000Z; sign in again/)).toBeTruthy();
    expect(screen.getByTestId('location').textContent).toMatch(/^\/users\/sign_in\?redirect=/);
  });

  test('only a path of this UI is a redirect target', () => {
    expect(safeRedirect('/platform/clusters')).toBe('/platform/clusters');
    expect(safeRedirect('//evil.example.com')).toBe('/');
    expect(safeRedirect('https://evil.example.com')).toBe('/');
    expect(safeRedirect('/\\evil.example.com')).toBe('/');
    expect(safeRedirect(null)).toBe('/');
  });
});
