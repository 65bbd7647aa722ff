/**
 * Which contexts a job's kubeconfig holds (DESIGN §4 rules 1–4), checked with the real
 * `kubectl config get-contexts`, and that the context's namespace is the one kubectl uses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, ensureProject, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { runPod } from './ci_proxy_support.js';

let fx: CiFixture;
const jobs: Job[] = [];

const PROD = `
ci_access:
  projects:
    - id: acme/team/app
      default_namespace: team-ns
    - id: globex/app
  groups:
    - id: acme/other
      environments: [production, review/*]
`;
const STAGING = `
ci_access:
  groups:
    - id: acme/team
`;

before(async () => {
  fx = await startCiFixture();
  for (const p of ['acme/team/app', 'acme/other/deep/svc', 'globex/app']) await ensureProject(fx.server, p);
  await connectAgent(fx, 'acme/clusters', 'prod', PROD);
  await connectAgent(fx, 'acme/clusters', 'staging', STAGING);
  await runPod(fx, 'team-ns', 'team-pod');
  await runPod(fx, 'default', 'default-pod');
});

after(async () => {
  await Promise.all(jobs.map((j) => j.kenv.cleanup()));
  await fx?.close();
});

async function contexts(projectPath: string, input: Parameters<typeof createJob>[2] = {}): Promise<{ job: Job; names: string[] }> {
  const job = await createJob(fx.server, projectPath, input);
  jobs.push(job);
  const r = await kubectl(job.kenv, ['config', 'get-contexts', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  return { job, names: r.stdout.split('\n').filter(Boolean).sort() };
}

test('the configuration project gets every agent of its own (implicit grant)', async () => {
  assert.deepEqual((await contexts('acme/clusters')).names, ['acme/clusters:prod', 'acme/clusters:staging']);
});

test('a project listed in ci_access.projects and under a listed group gets both contexts', async () => {
  assert.deepEqual((await contexts('acme/team/app')).names, ['acme/clusters:prod', 'acme/clusters:staging']);
});

test('a group grant reaches projects at any depth, only in the listed environments', async () => {
  assert.deepEqual((await contexts('acme/other/deep/svc', { environment: 'production' })).names, ['acme/clusters:prod']);
  assert.deepEqual((await contexts('acme/other/deep/svc', { environment: 'review/feature-7' })).names, ['acme/clusters:prod']);
  assert.deepEqual((await contexts('acme/other/deep/svc', { environment: 'staging' })).names, []);
  // `production*` is not written; an environment that merely contains the name does not match.
  assert.deepEqual((await contexts('acme/other/deep/svc', { environment: 'nonproduction' })).names, []);
  assert.deepEqual((await contexts('acme/other/deep/svc')).names, []);
});

test('a project in another top-level group gets nothing, even when listed by full path', async () => {
  const { job, names } = await contexts('globex/app');
  assert.deepEqual(names, []);
  // Its token cannot reach the agent through the proxy either.
  const agents = await fx.server.api('GET', `/projects/${encodeURIComponent('acme/clusters')}/cluster_agents`);
  const prod = (agents.body as Array<{ id: number; name: string }>).find((a) => a.name === 'prod')!;
  const raw = await fx.server.fetch('/-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods', { headers: { authorization: `Bearer ci:${prod.id}:${job.token}` } });
  assert.equal(raw.status, 403);
  assert.match(String(((await raw.json()) as { message: string }).message), /^kubegate: job \d+ of project globex\/app may not use agent/);
});

test('default_namespace is the context namespace and kubectl uses it without -n', async () => {
  const { job } = await contexts('acme/team/app');
  const table = await kubectl(job.kenv, ['config', 'get-contexts']);
  assert.match(table.stdout, /^\s+acme\/clusters:prod\s+kubegate\s+agent:\d+\s+team-ns\s*$/m);
  assert.match(table.stdout, /^\s+acme\/clusters:staging\s+kubegate\s+agent:\d+\s*$/m);
  // As in document 001: pick the context, then run kubectl.
  const use = await kubectl(job.kenv, ['config', 'use-context', 'acme/clusters:prod']);
  assert.equal(use.code, 0, use.stderr);
  const pods = await kubectl(job.kenv, ['get', 'pods', '-o', 'name']);
  assert.equal(pods.code, 0, pods.stderr);
  assert.equal(pods.stdout, 'pod/team-pod\n');
  const other = await kubectl(job.kenv, ['--context', 'acme/clusters:staging', 'get', 'pods', '-o', 'name']);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(other.stdout, 'pod/default-pod\n');
});
