/**
 * The small reads the web UI needed, in GitLab's shapes: `GET /users?username=` (adding a
 * member by name) and the agent's `configuration.ci_access` (whose jobs it serves).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/agent.js';
import { pushFiles } from '../helpers/git.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('GET /users?username= finds one user without regard to case, or none', async () => {
  await server.api('POST', '/users', { username: 'Alice', name: 'Alice' });
  await server.api('POST', '/users', { username: 'bob', name: 'Bob' });
  const found = await server.api('GET', '/users?username=alice');
  assert.equal(found.status, 200);
  assert.deepEqual(found.body.map((u: { username: string }) => u.username), ['Alice']);
  assert.equal(found.headers.get('x-total'), '1');
  assert.deepEqual((await server.api('GET', '/users?username=nobody')).body, []);
  assert.equal((await server.api('GET', '/users')).body.length, 3);
  assert.equal((await server.api('GET', '/users?username=alice', undefined, null)).status, 401);
});

test('an agent shows the projects and groups its configuration in force serves', async () => {
  const group = await server.api('POST', '/groups', { name: 'Infra', path: 'infra' });
  const project = await server.api('POST', '/projects', { name: 'agents', namespace_id: group.body.id });
  const agent = await server.api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'edge' });
  assert.deepEqual(agent.body.configuration.ci_access, { projects: [], groups: [] });
  const commit = await pushFiles(server, 'infra/agents', {
    '.gitlab/agents/edge/config.yaml': [
      'ci_access:',
      '  projects:',
      '    - id: infra/agents',
      '      default_namespace: apps',
      '      environments: [production, review/*]',
      '      protected_branches_only: true',
      '  groups:',
      '    - id: infra',
      '      access_as:',
      '        impersonate:',
      '          username: deployer',
      '          groups: [ops]',
      '',
    ].join('\n'),
  });
  const body = await eventually(async () => {
    const r = await server.api('GET', `/projects/${project.body.id}/cluster_agents/${agent.body.id}`);
    return r.body.configuration.commit === commit ? r.body : undefined;
  }, 5_000, 'configuration in force');
  assert.deepEqual(body.configuration.ci_access, {
    projects: [{ id: 'infra/agents', default_namespace: 'apps', access_as: { agent: {} }, environments: ['production', 'review/*'], protected_branches_only: true }],
    groups: [{ id: 'infra', default_namespace: null, access_as: { impersonate: { username: 'deployer', groups: ['ops'], extra: [] } }, environments: null, protected_branches_only: false }],
  });
});
