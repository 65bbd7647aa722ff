/**
 * Lists through the REST API: GitLab's page/per_page with the X-* pagination headers,
 * and environments with GitLab's slugs and tiers.
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
