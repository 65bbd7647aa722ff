/**
 * The cluster agents API: GitLab's shapes and roles, agent-name rules, token limits,
 * and the agent configuration file as the API shows it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pushFiles } from '../helpers/git.js';
import { eventually } from '../helpers/agent.js';

let server: TestServer;
let projectId: number;

before(async () => {
  server = await startTestServer();
  const group = await server.api('POST', '/groups', { name: 'Infra', path: 'infra' });
  const project = await server.api('POST', '/projects', { name: 'agents', namespace_id: group.body.id });
  projectId = project.body.id;
});

after(async () => {
  await server?.close();
});

test('registering an agent answers GitLab\'s shape', async () => {
  const res = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'shape' });
  assert.equal(res.status, 201);
  assert.equal(res.body.name, 'shape');
  assert.equal(res.body.config_project.id, projectId);
  assert.equal(res.body.config_project.path_with_namespace, 'infra/agents');
  assert.equal(res.body.config_project.name_with_namespace, 'Infra / agents', 'names, not paths');
  assert.equal(res.body.created_by_user_id, 1);
  assert.ok(Date.parse(res.body.created_at));
  assert.deepEqual(res.body.connections, []);
  assert.deepEqual(res.body.configuration.errors, []);
  const list = await server.api('GET', `/projects/${projectId}/cluster_agents`);
  assert.equal(list.status, 200);
  assert.ok(list.body.some((a: { name: string }) => a.name === 'shape'));
  assert.equal(list.headers.get('x-total'), String(list.body.length));
});

test("the config project's name_with_namespace is made of names, not paths, on every read", async () => {
  const team = await server.api('POST', '/groups', { name: 'Platform Team', path: 'platform' });
  const sub = await server.api('POST', '/groups', { name: 'Clusters', path: 'clusters', parent_id: team.body.id });
  const project = await server.api('POST', '/projects', { name: 'Cluster Config', path: 'config', namespace_id: sub.body.id });
  assert.equal(project.status, 201);
  const expected = 'Platform Team / Clusters / Cluster Config';
  const first = await server.api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'prod' });
  assert.equal(first.status, 201);
  assert.equal(first.body.config_project.name_with_namespace, expected);
  assert.equal(first.body.config_project.path_with_namespace, 'platform/clusters/config');
  await server.api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'staging' });
  const one = await server.api('GET', `/projects/${encodeURIComponent('platform/clusters/config')}/cluster_agents/${first.body.id}`);
  assert.equal(one.body.config_project.name_with_namespace, expected);
  const list = await server.api('GET', `/projects/${project.body.id}/cluster_agents`);
  assert.deepEqual(list.body.map((a: { config_project: { name_with_namespace: string } }) => a.config_project.name_with_namespace), [expected, expected]);
});

const NAME_RULES: Array<[string, unknown, RegExp]> = [
  ['missing', undefined, /name is missing/],
  ['empty', '', /name is missing/],
  ['not a string', 42, /name must be a string/],
  ['upper case', 'Prod', /must be lower case: use "prod"/],
  ['underscore', 'my_agent', /contains "_": only lower-case letters, digits and '-'/],
  ['dot', 'a.b', /contains "\."/],
  ['leading dash', '-prod', /must start with a lower-case letter or a digit/],
  ['trailing dash', 'prod-', /must end with a lower-case letter or a digit/],
  ['too long', 'a'.repeat(64), /too long \(64 characters; at most 63\)/],
];

for (const [rule, name, message] of NAME_RULES) {
  test(`agent name rule: ${rule} → 400 with its own message`, async () => {
    const res = await server.api('POST', `/projects/${projectId}/cluster_agents`, name === undefined ? {} : { name });
    assert.equal(res.status, 400);
    assert.match(res.body.message, message);
  });
}

test('a 63-character name is accepted; a duplicate name in the project is a 409', async () => {
  const name = `a${'b'.repeat(61)}c`;
  assert.equal((await server.api('POST', `/projects/${projectId}/cluster_agents`, { name })).status, 201);
  const dup = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name });
  assert.equal(dup.status, 409);
  assert.match(dup.body.message, /already registered/);
});

test('at most two active tokens; a third is refused with a message to revoke one; revoking frees a place', async () => {
  const agent = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'tokens' });
  const base = `/projects/${projectId}/cluster_agents/${agent.body.id}/tokens`;
  const first = await server.api('POST', base, { name: 'one', description: 'first' });
  const second = await server.api('POST', base, { name: 'two' });
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(first.body.description, 'first');
  assert.equal(first.body.status, 'active');
  assert.match(first.body.token, /^kgagent-[A-Za-z0-9]{32}$/);
  const third = await server.api('POST', base, { name: 'three' });
  assert.equal(third.status, 400);
  assert.match(third.body.message, /already has 2 active tokens.*revoke one/);

  // The token is shown once: never in reads.
  const read = await server.api('GET', `${base}/${first.body.id}`);
  assert.equal(read.status, 200);
  assert.equal(read.body.token, undefined);
  assert.equal(JSON.stringify((await server.api('GET', base)).body).includes(first.body.token), false);
  // Stored only as a digest.
  const rows = await server.app.store.db.selectFrom('agent_tokens').selectAll().execute();
  assert.ok(rows.every((r) => !JSON.stringify(r).includes(first.body.token)));

  assert.equal((await server.api('DELETE', `${base}/${first.body.id}`)).status, 204);
  assert.equal((await server.api('GET', `${base}/${first.body.id}`)).body.status, 'revoked');
  assert.equal((await server.api('POST', base, { name: 'three' })).status, 201);
});

test('roles: developers read agents, maintainers register and delete them', async () => {
  const users: Record<string, { token: string }> = {};
  for (const [username, level] of [['dev1', 30], ['maint1', 40], ['rep1', 20]] as const) {
    const u = await server.api('POST', '/users', { username, name: username });
    const t = await server.api('POST', `/users/${u.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] });
    await server.api('POST', `/projects/${projectId}/members`, { user_id: u.body.id, access_level: level });
    users[username] = { token: t.body.token };
  }
  const outsider = await server.api('POST', '/users', { username: 'outsider', name: 'o' });
  const outsiderToken = (await server.api('POST', `/users/${outsider.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token;

  assert.equal((await server.api.as(users.rep1!.token)('GET', `/projects/${projectId}/cluster_agents`)).status, 403);
  assert.equal((await server.api.as(users.dev1!.token)('GET', `/projects/${projectId}/cluster_agents`)).status, 200);
  assert.equal((await server.api.as(users.dev1!.token)('POST', `/projects/${projectId}/cluster_agents`, { name: 'by-dev' })).status, 403);
  const created = await server.api.as(users.maint1!.token)('POST', `/projects/${projectId}/cluster_agents`, { name: 'by-maint' });
  assert.equal(created.status, 201);
  assert.equal((await server.api.as(users.dev1!.token)('POST', `/projects/${projectId}/cluster_agents/${created.body.id}/tokens`, { name: 'x' })).status, 403);
  assert.equal((await server.api.as(outsiderToken)('GET', `/projects/${projectId}/cluster_agents`)).status, 404);
  assert.equal((await server.api.as(users.dev1!.token)('DELETE', `/projects/${projectId}/cluster_agents/${created.body.id}`)).status, 403);
  assert.equal((await server.api.as(users.maint1!.token)('DELETE', `/projects/${projectId}/cluster_agents/${created.body.id}`)).status, 204);
  assert.equal((await server.api('GET', `/projects/${projectId}/cluster_agents/${created.body.id}`)).status, 404);
});

test('an agent of another project is not found through this project', async () => {
  const other = await server.api('POST', '/projects', { name: 'other' });
  const agent = await server.api('POST', `/projects/${other.body.id}/cluster_agents`, { name: 'elsewhere' });
  assert.equal((await server.api('GET', `/projects/${projectId}/cluster_agents/${agent.body.id}`)).status, 404);
});

test('configuration: a valid push is in force, a broken one shows its error with line and column and keeps the last good one', async () => {
  const agent = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'configured' });
  const path = `/projects/${projectId}/cluster_agents/${agent.body.id}`;
  const good = await pushFiles(server, 'infra/agents', {
    '.gitlab/agents/configured/config.yaml': 'ci_access:\n  projects:\n    - id: infra/agents\n      default_namespace: apps\n',
  });
  const inForce = await eventually(async () => {
    const r = await server.api('GET', path);
    return r.body.configuration.commit === good ? r.body : undefined;
  }, 1_000, 'configuration in force within 1 s');
  assert.deepEqual(inForce.configuration.errors, []);
  const wiring = server.modules.agents.configurations;
  assert.equal((await wiring.inForce(agent.body.id)).config.ci_access.projects[0]!.default_namespace, 'apps');

  await pushFiles(server, 'infra/agents', {
    '.gitlab/agents/configured/config.yaml': 'ci_access:\n  projects:\n    - id: infra/agents\n      default-namespace: apps\n',
  });
  const broken = await eventually(async () => {
    const r = await server.api('GET', path);
    return r.body.configuration.errors.length > 0 ? r.body : undefined;
  }, 1_000, 'error shown within 1 s');
  const [error] = broken.configuration.errors;
  assert.equal(error.line, 4);
  assert.equal(error.column, 7);
  assert.match(error.message, /default-namespace/);
  assert.match(error.message, /default_namespace/);
  // The last good configuration stays in force.
  assert.equal(broken.configuration.commit, good);
  assert.equal((await wiring.inForce(agent.body.id)).config.ci_access.projects[0]!.default_namespace, 'apps');

  // A push to another branch changes nothing; deleting the file is a valid empty configuration.
  await pushFiles(server, 'infra/agents', { '.gitlab/agents/configured/config.yaml': 'not: [valid' }, { branch: 'feature' });
  const removed = await pushFiles(server, 'infra/agents', { '.gitlab/agents/configured/config.yaml': null });
  const empty = await eventually(async () => {
    const r = await server.api('GET', path);
    return r.body.configuration.commit === null && r.body.configuration.errors.length === 0 ? r.body : undefined;
  }, 1_000, 'empty configuration in force');
  assert.ok(removed);
  assert.deepEqual((await wiring.inForce(agent.body.id)).config.ci_access.projects, []);
  assert.deepEqual(empty.configuration.errors, []);
});

test('the deprecated gitops section is a warning, never an error', async () => {
  const agent = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'legacy' });
  await pushFiles(server, 'infra/agents', {
    '.gitlab/agents/legacy/config.yaml': 'gitops:\n  manifest_projects:\n    - id: infra/agents\n',
  });
  const body = await eventually(async () => {
    const r = await server.api('GET', `/projects/${projectId}/cluster_agents/${agent.body.id}`);
    return r.body.configuration.warnings.length > 0 ? r.body : undefined;
  }, 2_000, 'warning shown');
  assert.deepEqual(body.configuration.errors, []);
  assert.match(JSON.stringify(body.configuration.warnings), /gitops/);
});
