/**
 * Renders a page as the app does (router, query cache, session) against a stand-in for
 * `fetch` that answers the REST paths a test names. Requests are recorded, so a test can
 * check what the UI sent (method, path, body, CSRF header).
 */
import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { vi } from 'vitest';
import { SessionProvider } from '../session/SessionContext';
import { App } from '../App';

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

export type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (req: Recorded) => Answer | Promise<Answer>;

export const TEST_USER = { id: 1, username: 'root', name: 'Administrator', state: 'active', created_at: '2026-01-01T00:00:00.000Z', is_admin: true, email: null };
export const TEST_CSRF = 'csrf-token-for-tests';

/** Installs the fake API; `routes` maps `METHOD /path?query` (query optional) to answers. */
export function fakeApi(routes: Record<string, Handler | Answer>) {
  const requests: Recorded[] = [];
  const all: Record<string, Handler | Answer> = { 'GET /-/session': { body: { user: TEST_USER, csrf_token: TEST_CSRF, expires_at: '2099-01-01T00:00:00.000Z' } }, ...routes };
  const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://kubegate.test');
    const path = url.pathname.replace(/^\/api\/v4/, '') + url.search;
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(Object.entries((init?.headers as Record<string, string>) ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const req: Recorded = { method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined, headers };
    requests.push(req);
    const handler = all[`${method} ${path}`] ?? all[`${method} ${url.pathname.replace(/^\/api\/v4/, '')}`];
    if (!handler) return new Response(JSON.stringify({ message: `404 Not Found: no route for ${method} ${path} in this test` }), { status: 404 });
    const answer = typeof handler === 'function' ? await handler(req) : handler;
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? null), { status, headers: { 'Content-Type': 'application/json', ...answer.headers } });
  });
  vi.stubGlobal('fetch', fetchFn);
  return { requests, fetch: fetchFn };
}

/** The location the app is at, written into the page so tests can read it. */
function LocationProbe() {
  const location = useLocation();
  return (
    <output data-testid="location" hidden>
      {`${location.pathname}${location.search}${location.hash}`}
    </output>
  );
}

/** Renders the whole app (sign-in gate, routing) at `at`, or `ui` in its place. */
export function renderApp(at: string, ui: ReactElement = <App />) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[at]}>
        <SessionProvider>
          <Routes>
            <Route path="*" element={ui} />
          </Routes>
          <LocationProbe />
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

export const PROJECT = {
  id: 7,
  name: 'Clusters',
  name_with_namespace: 'Platform / Clusters',
  path: 'clusters',
  path_with_namespace: 'platform/clusters',
  description: '',
  default_branch: 'main',
  visibility: 'private',
  namespace: { id: 2, name: 'Platform', path: 'platform', kind: 'group', full_path: 'platform', parent_id: null },
  http_url_to_repo: 'http://kubegate.test/platform/clusters.git',
  web_url: 'http://kubegate.test/platform/clusters',
  creator_id: 1,
  created_at: '2026-01-01T00:00:00.000Z',
};

export function agentFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: 3,
    name: 'prod',
    config_project: { id: 7, description: '', name: 'Clusters', name_with_namespace: 'Platform / Clusters', path: 'clusters', path_with_namespace: 'platform/clusters', created_at: '2026-01-01T00:00:00.000Z' },
    created_at: '2026-01-01T00:00:00.000Z',
    created_by_user_id: 1,
    connections: [],
    configuration: { errors: [], warnings: [], commit: null, ci_access: { projects: [], groups: [] } },
    warnings: [],
    ...overrides,
  };
}
