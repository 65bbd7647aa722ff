/**
 * The REST API end to end on PostgreSQL (`--database-url`): the main flow of a platform
 * team, racing creates, and data surviving a restart of the server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { POSTGRES_MISSING, startPostgres, type TestPostgres } from '../helpers/postgres.js';

let database: TestPostgres | undefined;
let server: TestServer | undefined;
let dataDir = '';

before(async () => {
  database = await startPostgres();
  if (!database) return;
  dataDir = await mkdtemp(join(tmpdir(), 'kubegate-api-pg-'));
  server = await startTestServer({ databaseUrl: database.url, dataDir });
});
after(async () => {
  await server?.stop();
  await database?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('REST API on PostgreSQL', () => {
  const ids = { group: 0, subgroup: 0, project: 0, dev: 0 };
  let devToken = '';

  it('runs on PostgreSQL, not SQLite', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    assert.equal(server.app.store.engine, 'postgres');
    assert.equal((await fetch(`${server.url}/-/readiness`)).status, 200);
  });

  it('creates users, tokens, groups, a project, members, protected branches and environments', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    const api = server.api;
    const dev = await api('POST', '/users', { username: 'pg-dev', name: 'Dev', email: 'dev@example.com' });
    assert.equal(dev.status, 201);
    ids.dev = dev.body.id;
    const pat = await api('POST', `/users/${ids.dev}/personal_access_tokens`, { name: 'cli', scopes: ['api'] });
    assert.equal(pat.status, 201);
    devToken = pat.body.token;

    const group = await api('POST', '/groups', { name: 'Platform', path: 'platform' });
    const subgroup = await api('POST', '/groups', { name: 'Clusters', path: 'clusters', parent_id: group.body.id });
    assert.deepEqual([group.status, subgroup.status], [201, 201]);
    assert.equal(subgroup.body.full_path, 'platform/clusters');
    ids.group = group.body.id;
    ids.subgroup = subgroup.body.id;
    assert.equal((await api('POST', `/groups/${ids.group}/members`, { user_id: ids.dev, access_level: 30 })).status, 201);

    // The Developer role on the top group lets the user create a project in the subgroup.
    const project = await api.as(devToken)('POST', '/projects', { name: 'Fleet', namespace_id: ids.subgroup });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    assert.equal(project.body.path_with_namespace, 'platform/clusters/fleet');
    assert.equal(project.body.http_url_to_repo, `${server.url}/platform/clusters/fleet.git`);
    ids.project = project.body.id;

    // The default branch is protected on creation; protecting it again is a conflict.
    assert.equal((await api('POST', `/projects/${ids.project}/protected_branches`, { name: 'main' })).status, 409);
    assert.equal((await api('POST', `/projects/${ids.project}/protected_branches`, { name: 'release/*', push_access_level: 30 })).status, 201);
    const env = await api.as(devToken)('POST', `/projects/${ids.project}/environments`, { name: 'review/feature-1' });
    assert.equal(env.status, 201);
    assert.deepEqual([env.body.slug, env.body.tier], ['review-feature-1-1q251u', 'development']);

    const read = await api.as(devToken)('GET', `/projects/${encodeURIComponent('PLATFORM/clusters/Fleet')}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.id, ids.project);
  });

  it('refuses duplicates in any case with 409 and an outsider with 404', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    const dup = await server.api('POST', '/projects', { name: 'x', path: 'FLEET', namespace_id: ids.subgroup });
    assert.equal(dup.status, 409);
    const user = await server.api('POST', '/users', { username: 'pg-outsider', name: 'Out' });
    const token = (await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token;
    assert.equal((await server.api.as(token)('GET', `/projects/${ids.project}`)).status, 404);
  });

  it('shows a member of one project that project and the groups above it, nothing else', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    const api = server.api;
    const user = await api('POST', '/users', { username: 'pg-project-only', name: 'P' });
    const token = (await api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token;
    assert.equal((await api('POST', `/projects/${ids.project}/members`, { user_id: user.body.id, access_level: 20 })).status, 201);
    const sibling = await api('POST', '/projects', { name: 'sibling_1', namespace_id: ids.subgroup });
    const member = api.as(token);
    assert.equal((await member('GET', `/projects/${ids.project}`)).status, 200);
    assert.equal((await member('GET', `/groups/${ids.subgroup}`)).status, 200);
    assert.equal((await member('GET', `/groups/${ids.group}`)).status, 200);
    assert.equal((await member('GET', `/projects/${sibling.body.id}`)).status, 404);
    assert.deepEqual((await member('GET', '/groups')).body.map((g: { full_path: string }) => g.full_path), ['platform', 'platform/clusters']);
  });

  it('answers ids beyond what PostgreSQL holds with 404 or 400, not 500', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    const api = server.api;
    for (const path of ['/projects/99999999999999999999', '/groups/2147483648', `/projects/${ids.project}/environments/99999999999`]) {
      assert.equal((await api('GET', path)).status, 404, path);
    }
    for (const [path, body, message] of [
      ['/groups', { name: 'x', path: 'big-parent', parent_id: 2147483648 }, /^parent_id must be at most 2147483647/],
      ['/projects', { name: 'x', namespace_id: 1e20 }, /^namespace_id must be at most 2147483647/],
      [`/groups/${ids.group}/members`, { user_id: '99999999999', access_level: 30 }, /^user_id must be at most/],
    ] as const) {
      const res = await api('POST', path, body);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message);
    }
    assert.equal((await api('GET', '/users/99999999999')).status, 400);
    assert.equal((await api('GET', '/groups?page=99999999999')).status, 400);
  });

  it('lets exactly one of several racing creates of the same path win; the others get 409, not 500', async (t) => {
    if (!server) return t.skip(POSTGRES_MISSING);
    const results = await Promise.all(
      ['race', 'RACE', 'Race', 'race', 'rAce', 'race'].map((path) => server!.api('POST', '/projects', { name: 'race', path, namespace_id: ids.subgroup })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], JSON.stringify(results.map((r) => r.body)));
    const groups = await Promise.all(['dup', 'DUP', 'Dup', 'dup'].map((path) => server!.api('POST', '/groups', { name: 'Dup', path })));
    assert.deepEqual(groups.map((r) => r.status).sort(), [201, 409, 409, 409]);
  });

  it('keeps everything across a restart on the same database', async (t) => {
    if (!server || !database) return t.skip(POSTGRES_MISSING);
    await server.stop();
    server = await startTestServer({ databaseUrl: database.url, dataDir });
    const api = server.api;
    const project = await api.as(devToken)('GET', `/projects/${ids.project}`);
    assert.equal(project.status, 200, 'the developer token still works');
    assert.equal(project.body.path_with_namespace, 'platform/clusters/fleet');
    const branches = await api('GET', `/projects/${ids.project}/protected_branches`);
    assert.deepEqual(branches.body.map((b: { name: string; push_access_levels: Array<{ access_level: number }> }) => [b.name, b.push_access_levels[0]!.access_level]), [['main', 40], ['release/*', 30]]);
    const envs = await api('GET', `/projects/${ids.project}/environments`);
    assert.deepEqual(envs.body.map((e: { slug: string }) => e.slug), ['review-feature-1-1q251u']);
    const members = await api('GET', `/groups/${ids.group}/members`);
    assert.ok(members.body.some((m: { id: number; access_level: number }) => m.id === ids.dev && m.access_level === 30));
  });
});
