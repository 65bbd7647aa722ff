/**
 * Agent configuration feedback at the moment of the push (real `git`): a rejected file
 * gets `remote:` lines naming the agent, the line and column and the error, and the push
 * still succeeds; a `config.yml` or a misplaced `config.yaml` next to a registered agent
 * gets a warning, in the push and on the agent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { pushFiles } from '../helpers/git.js';

let server: TestServer;
let projectId = 0;

before(async () => {
  server = await startTestServer();
  projectId = (await ensureProject(server, 'acme/clusters')).id;
  await pushFiles(server, 'acme/clusters', { 'README.md': 'clusters\n' });
  for (const name of ['prod', 'staging']) assert.equal((await server.api('POST', `/projects/${projectId}/cluster_agents`, { name })).status, 201);
});

after(async () => {
  await server?.close();
});

async function agent(name: string) {
  const list = await server.api('GET', `/projects/${projectId}/cluster_agents`);
  const found = list.body.find((a: { name: string }) => a.name === name);
  return (await server.api('GET', `/projects/${projectId}/cluster_agents/${found.id}`)).body;
}

test('a push with an agent configuration that has errors succeeds and says so in remote: lines', async () => {
  const output = { stderr: '' };
  const sha = await pushFiles(server, 'acme/clusters', { '.gitlab/agents/prod/config.yaml': 'ci_access:\n  projects:\n    - id: acme/app\n      default-namespace: apps\n' }, { output });
  assert.match(output.stderr, /^remote: Kubegate: the configuration of agent "prod" \(\.gitlab\/agents\/prod\/config\.yaml\) has errors; the previous configuration stays in force:\s*$/m, output.stderr);
  assert.match(output.stderr, /^remote: {3}\.gitlab\/agents\/prod\/config\.yaml: line 4, column 7: unknown key "default-namespace" .*did you mean "default_namespace"\?/m, output.stderr);
  // The push itself went through, and the agent shows the same error.
  const files = await server.api('GET', `/projects/${projectId}/repository/files/${encodeURIComponent('.gitlab/agents/prod/config.yaml')}?ref=main`);
  assert.equal(files.body.last_commit_id, sha);
  assert.match((await agent('prod')).configuration.errors[0].message, /line 4, column 7: unknown key "default-namespace"/);
});

test('a valid configuration, or a push that does not touch one, prints nothing of Kubegate', async () => {
  const output = { stderr: '' };
  await pushFiles(server, 'acme/clusters', { '.gitlab/agents/prod/config.yaml': 'ci_access:\n  projects:\n    - id: acme/app\n' }, { output });
  assert.doesNotMatch(output.stderr, /Kubegate/);
  await pushFiles(server, 'acme/clusters', { 'docs.md': 'x\n' }, { output });
  assert.doesNotMatch(output.stderr, /Kubegate/);
});

test('config.yml (wrong extension) or a misplaced config.yaml next to a registered agent: a warning in the push and on the agent', async () => {
  const output = { stderr: '' };
  await pushFiles(server, 'acme/clusters', { '.gitlab/agents/staging/config.yml': 'ci_access: {}\n' }, { output });
  assert.match(output.stderr, /^remote: Kubegate: agent "staging": \.gitlab\/agents\/staging\/config\.yml is not read: the configuration of agent "staging" must be at \.gitlab\/agents\/staging\/config\.yaml \(rename or move it there\)/m, output.stderr);
  const warnings = (await agent('staging')).configuration.warnings.map((w: { message: string }) => w.message);
  assert.ok(warnings.some((m: string) => /config\.yml is not read/.test(m)), JSON.stringify(warnings));

  await pushFiles(server, 'acme/clusters', { '.gitlab/agents/staging/config.yml': null, '.gitlab/agent/staging/config.yaml': 'ci_access: {}\n' }, { output });
  assert.match(output.stderr, /\.gitlab\/agent\/staging\/config\.yaml is not read: the configuration of agent "staging" must be at \.gitlab\/agents\/staging\/config\.yaml/);
  const after = (await agent('staging')).configuration.warnings.map((w: { message: string }) => w.message);
  assert.ok(after.some((m: string) => /\.gitlab\/agent\/staging\/config\.yaml is not read/.test(m)), JSON.stringify(after));
  assert.ok(!after.some((m: string) => /config\.yml/.test(m)), 'the removed file is no longer mentioned');
});
