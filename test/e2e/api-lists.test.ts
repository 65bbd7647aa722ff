/**
 * Lists through the REST API: GitLab's page/per_page with the X-* pagination headers,
 * environments with GitLab's slugs and tiers, and the display names (`full_name`,
 * `name_with_namespace`) made of names, not paths, on single items and on lists.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

let server: TestServer;
let groupId = 0;
const GROUPS = 23;

before(async () => {
  server = await startTestServer();
  const parent = await server.api('POST', '/groups', { name: 'Lists', path: 'lists' });
  groupId = parent.body.id;
  for (let i = 1; i < GROUPS; i++) {
    const res = await server.api('POST', '/groups', { name: `G${i}`, path: `g${i}`, parent_id: groupId });
    assert.equal(res.status, 201);
  }
});
after(() => server?.close());

function headers(res: { headers: Headers }) {
  const h = (name: string) => res.headers.get(name);
  return { total: h('x-total'), totalPages: h('x-total-pages'), page: h('x-page'), perPage: h('x-per-page'), next: h('x-next-page'), prev: h('x-prev-page') };
}

describe('pagination', () => {
  it('defaults to 20 per page with the headers', async () => {
    const res = await server.api('GET', '/groups');
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 20);
    assert.deepEqual(headers(res), { total: String(GROUPS), totalPages: '2', page: '1', perPage: '20', next: '2', prev: '' });
  });

  it('walks the pages with page and per_page, each item once, in order', async () => {
    const seen: string[] = [];
    let page: string | null = '1';
    let pages = 0;
    while (page) {
      const res: ApiResponse = await server.api('GET', `/groups?per_page=5&page=${page}`);
      assert.equal(res.status, 200);
      const h = headers(res);
      assert.equal(h.page, page);
      assert.equal(h.perPage, '5');
      assert.equal(h.total, String(GROUPS));
      assert.equal(h.totalPages, '5');
      assert.ok(res.body.length <= 5);
      seen.push(...res.body.map((g: { full_path: string }) => g.full_path));
      page = h.next || null;
      pages++;
    }
    assert.equal(pages, 5);
    assert.equal(seen.length, GROUPS);
    assert.equal(new Set(seen).size, GROUPS);
    assert.equal(seen[0], 'lists');
  });

  it('answers an empty page past the end, with no next page', async () => {
    const res = await server.api('GET', '/groups?per_page=10&page=9');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, []);
    assert.equal(headers(res).next, '');
  });

  it('paginates subgroups the same way', async () => {
    const res = await server.api('GET', `/groups/${groupId}/subgroups?per_page=100`);
    assert.equal(res.body.length, GROUPS - 1);
    assert.equal(headers(res).total, String(GROUPS - 1));
  });

  for (const [query, message] of [
    ['per_page=0', /^per_page must be 1 or more/],
    ['per_page=101', /^per_page must be 100 or less/],
    ['per_page=abc', /^per_page must be an integer/],
    ['page=0', /^page must be 1 or more/],
    ['page=-1', /^page must be an integer/],
  ] as const) {
    it(`refuses ${query} with a 400 naming the parameter`, async () => {
      const res = await server.api('GET', `/groups?${query}`);
      assert.equal(res.status, 400);
      assert.match(res.body.message, message);
    });
  }
});

describe('environments', () => {
  let projectId = 0;
  before(async () => {
    projectId = (await server.api('POST', '/projects', { name: 'deploy', namespace_id: groupId })).body.id;
  });

  const cases: Array<[string, string | undefined, string, string]> = [
    ['production', undefined, 'production', 'production'],
    ['review/feature-1', undefined, 'review-feature-1-1q251u', 'development'],
    ['staging', undefined, 'staging', 'staging'],
    ['prod', undefined, 'prod', 'production'],
    ['qa', undefined, 'qa', 'testing'],
    ['sandbox', undefined, 'sandbox', 'other'],
    ['9-lives', undefined, 'env-9-lives-oclwd9', 'production'], // 'live' in the name: GitLab guesses production,
    ['a-very-long-environment-name-indeed', undefined, 'a-very-long-envir-8xini4', 'other'],
    ['canary', 'production', 'canary', 'production'],
  ];
  for (const [name, tier, slug, expectedTier] of cases) {
    it(`${name}${tier ? ` (tier ${tier})` : ''} → slug ${slug}, tier ${expectedTier}`, async () => {
      const res = await server.api('POST', `/projects/${projectId}/environments`, tier ? { name, tier } : { name });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.name, name);
      assert.equal(res.body.slug, slug);
      assert.equal(res.body.tier, expectedTier);
      assert.ok(res.body.slug.length <= 24);
      const read = await server.api('GET', `/projects/${projectId}/environments/${res.body.id}`);
      assert.deepEqual(read.body, res.body);
    });
  }

  it('refuses a second environment of the same name with 409', async () => {
    const res = await server.api('POST', `/projects/${projectId}/environments`, { name: 'production' });
    assert.equal(res.status, 409);
    assert.match(res.body.message, /production/);
  });

  it('lists them, paginated', async () => {
    const res = await server.api('GET', `/projects/${projectId}/environments?per_page=4`);
    assert.equal(res.body.length, 4);
    assert.equal(headers(res).total, String(cases.length));
  });
});

// Last: the groups made here would change the totals the pagination tests expect.
describe('display names are made of names, not paths, as in GitLab', () => {
  type Group = { id: number; full_path: string; full_name: string };
  type Project = { id: number; path_with_namespace: string; name_with_namespace: string };
  let platform: Group;
  let clusters: Group;

  before(async () => {
    platform = (await server.api('POST', '/groups', { name: 'Platform Team', path: 'platform' })).body;
    clusters = (await server.api('POST', '/groups', { name: 'Clusters', path: 'clusters', parent_id: platform.id })).body;
    for (const [name, path] of [['Prod (EU)', 'prod-eu'], ['Staging Area', 'staging']]) {
      assert.equal((await server.api('POST', '/groups', { name, path, parent_id: clusters.id })).status, 201);
    }
  });

  it('a nested group: the names of its ancestors and its own, root first', async () => {
    assert.equal(platform.full_name, 'Platform Team');
    assert.equal(clusters.full_name, 'Platform Team / Clusters');
    assert.equal(clusters.full_path, 'platform/clusters');
    const read = await server.api('GET', `/groups/${encodeURIComponent('platform/clusters')}`);
    assert.equal(read.body.full_name, 'Platform Team / Clusters');
  });

  it('lists: every group of a page gets its own full name', async () => {
    const all = await server.api('GET', '/groups?per_page=100');
    const byPath = new Map((all.body as Group[]).map((g) => [g.full_path, g.full_name]));
    assert.equal(byPath.get('lists'), 'Lists');
    assert.equal(byPath.get('lists/g7'), 'Lists / G7');
    assert.equal(byPath.get('platform'), 'Platform Team');
    assert.equal(byPath.get('platform/clusters'), 'Platform Team / Clusters');
    assert.equal(byPath.get('platform/clusters/prod-eu'), 'Platform Team / Clusters / Prod (EU)');
    assert.equal(byPath.get('platform/clusters/staging'), 'Platform Team / Clusters / Staging Area');
    const subgroups = await server.api('GET', `/groups/${clusters.id}/subgroups`);
    assert.deepEqual(
      (subgroups.body as Group[]).map((g) => g.full_name),
      ['Platform Team / Clusters / Prod (EU)', 'Platform Team / Clusters / Staging Area'],
    );
  });

  it("a project: its namespace's full name, ' / ', its name; the same in every list", async () => {
    const created = await server.api('POST', '/projects', { name: 'Cluster Config', path: 'config', namespace_id: clusters.id });
    assert.equal(created.status, 201);
    assert.equal(created.body.path_with_namespace, 'platform/clusters/config');
    assert.equal(created.body.name_with_namespace, 'Platform Team / Clusters / Cluster Config');
    const deep = await server.api('POST', '/projects', { name: 'EU Apps', path: 'apps', namespace_id: (await server.api('GET', `/groups/${encodeURIComponent('platform/clusters/prod-eu')}`)).body.id });
    assert.equal(deep.body.name_with_namespace, 'Platform Team / Clusters / Prod (EU) / EU Apps');
    const read = await server.api('GET', `/projects/${encodeURIComponent('platform/clusters/config')}`);
    assert.equal(read.body.name_with_namespace, 'Platform Team / Clusters / Cluster Config');

    const all = await server.api('GET', '/projects?per_page=100');
    const byPath = new Map((all.body as Project[]).map((p) => [p.path_with_namespace, p.name_with_namespace]));
    assert.equal(byPath.get('platform/clusters/config'), 'Platform Team / Clusters / Cluster Config');
    assert.equal(byPath.get('platform/clusters/prod-eu/apps'), 'Platform Team / Clusters / Prod (EU) / EU Apps');
    assert.equal(byPath.get('lists/deploy'), 'Lists / deploy');
    const inGroup = await server.api('GET', `/groups/${clusters.id}/projects`);
    assert.deepEqual((inGroup.body as Project[]).map((p) => p.name_with_namespace), ['Platform Team / Clusters / Cluster Config']);
  });

  it("a project in a user's namespace: the user's name, ' / ', its name", async () => {
    const user = await server.api('POST', '/users', { username: 'jdoe', name: 'Jane Doe' });
    assert.equal(user.status, 201);
    const token = (await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token;
    const created = await server.api.as(token)('POST', '/projects', { name: 'My Notes', path: 'notes' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.path_with_namespace, 'jdoe/notes');
    assert.equal(created.body.name_with_namespace, 'Jane Doe / My Notes');
    const read = await server.api('GET', `/projects/${created.body.id}`);
    assert.equal(read.body.name_with_namespace, 'Jane Doe / My Notes');
  });
});
