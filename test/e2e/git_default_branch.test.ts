/**
 * A project whose default branch does not exist yet takes the first branch pushed to it,
 * as GitLab does; everything that reads "the default branch" follows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pushFiles } from '../helpers/git.js';
import { eventually } from '../helpers/agent.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.close();
});

test('pushing master to a new project created with main makes master the default branch', async () => {
  const project = await server.api('POST', '/projects', { name: 'legacy', default_branch: 'main' });
  const agent = await server.api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'old' });
  const commit = await pushFiles(server, 'root/legacy', { '.gitlab/agents/old/config.yaml': 'ci_access:\n  projects:\n    - id: root/legacy\n' }, { branch: 'master' });

  const after = await server.api('GET', `/projects/${project.body.id}`);
  assert.equal(after.body.default_branch, 'master');
  const file = await server.api('GET', `/projects/${project.body.id}/repository/files/${encodeURIComponent('.gitlab/agents/old/config.yaml')}`);
  assert.equal(file.status, 200);
  assert.equal(file.body.ref, 'master');
  // The agent configuration is read from the branch that now is the default.
  await eventually(async () => {
    const r = await server.api('GET', `/projects/${project.body.id}/cluster_agents/${agent.body.id}`);
    return r.body.configuration.commit === commit ? true : undefined;
  }, 2_000, 'configuration from master in force');

  // Once the default branch exists, other branches do not take it over.
  await pushFiles(server, 'root/legacy', { 'x.txt': 'x' }, { branch: 'feature' });
  assert.equal((await server.api('GET', `/projects/${project.body.id}`)).body.default_branch, 'master');
});
