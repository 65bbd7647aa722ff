/**
 * Who a CI job is in the cluster (DESIGN §4), seen by the real kubectl through the job's
 * kubeconfig: `kubectl auth whoami` for each `access_as` mode, RBAC written for GitLab
 * (document 001's `ci-job-view` binding), caller impersonation refused, finished jobs
 * locked out at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, ensureProject, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { kubectlUntil, pushAgentConfig, runPod } from './ci_proxy_support.js';

const CTX = ['--context', 'acme/clusters:prod'];
let fx: CiFixture;
let agentId: number;
let configProjectId: number;
let username: string;
const groupIds: number[] = [];
const jobs: Job[] = [];

const CONFIG = `
ci_access:
  projects:
    - id: acme/team/app
      access_as:
        ci_job: {}
    - id: acme/team/imp
      access_as:
        impersonate:
          username: deployer
          uid: deployer-uid-7
          groups: [deployers, "gitlab:custom"]
          extra:
            - key: example.com/team
              val: [platform, sre]
`;

before(async () => {
  fx = await startCiFixture();
  ({ agentId, projectId: configProjectId } = await connectAgent(fx, 'acme/clusters', 'prod', CONFIG));
  await ensureProject(fx.server, 'acme/team/app');
  await ensureProject(fx.server, 'acme/team/imp');
  for (const path of ['acme', 'acme/team']) groupIds.push((await fx.server.api('GET', `/groups/${encodeURIComponent(path)}`)).body.id);
  username = (await fx.server.api('GET', '/user')).body.username;
  await runPod(fx, 'default', 'web');
});

after(async () => {
  await Promise.all(jobs.map((j) => j.kenv.cleanup()));
  await fx?.close();
});

async function job(projectPath: string, input: Parameters<typeof createJob>[2] = {}): Promise<Job> {
  const j = await createJob(fx.server, projectPath, input);
  jobs.push(j);
  return j;
}

/** The simulator's record of the latest `kubectl auth whoami` (a SelfSubjectReview). */
function lastReview() {
  return fx.sim.requests.filter((q) => q.resource === 'selfsubjectreviews').at(-1);
}

async function whoami(j: Job): Promise<{ username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }> {
  const r = await kubectl(j.kenv, [...CTX, 'auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).status.userInfo;
}

test('access_as agent: the agent\'s ServiceAccount acts', async () => {
  const j = await job('acme/clusters');
  const user = await whoami(j);
  assert.equal(user.username, 'system:serviceaccount:gitlab-agent:gitlab-agent');
  assert.deepEqual(user.groups, ['system:serviceaccounts', 'system:serviceaccounts:gitlab-agent', 'system:authenticated']);
  assert.equal(lastReview()?.impersonated, false);
});

test('access_as ci_job with an environment: user, groups root to leaf, extras', async () => {
  const j = await job('acme/team/app', { environment: 'review/feature-1', environment_tier: 'staging' });
  const projectId = (await ensureProject(fx.server, 'acme/team/app')).id;
  const slug = j.body.environment.slug as string;
  assert.ok(slug);
  const user = await whoami(j);
  const [root, team] = groupIds as [number, number];
  assert.equal(user.username, `gitlab:ci_job:${j.id}`);
  assert.deepEqual(user.groups, [
    'gitlab:ci_job',
    `gitlab:group:${root}`,
    `gitlab:group_env_tier:${root}:staging`,
    `gitlab:group:${team}`,
    `gitlab:group_env_tier:${team}:staging`,
    `gitlab:project:${projectId}`,
    `gitlab:project_env:${projectId}:${slug}`,
    `gitlab:project_env_tier:${projectId}:staging`,
    'system:authenticated',
  ]);
  assert.deepEqual(user.extra, {
    'agent.gitlab.com/id': [String(agentId)],
    'agent.gitlab.com/config_project_id': [String(configProjectId)],
    'agent.gitlab.com/project_id': [String(projectId)],
    'agent.gitlab.com/ci_pipeline_id': [String(j.body.pipeline.id)],
    'agent.gitlab.com/ci_job_id': [String(j.id)],
    'agent.gitlab.com/username': [username],
    'agent.gitlab.com/environment_slug': [slug],
    'agent.gitlab.com/environment_tier': ['staging'],
  });
  // The agent authenticated as itself and impersonated the job.
  const last = lastReview()!;
  assert.equal(last.authenticatedUser.username, 'system:serviceaccount:gitlab-agent:gitlab-agent');
  assert.equal(last.impersonated, true);
});

test('access_as ci_job without an environment: no environment groups or extras', async () => {
  const j = await job('acme/team/app');
  const projectId = (await ensureProject(fx.server, 'acme/team/app')).id;
  const user = await whoami(j);
  assert.deepEqual(user.groups, ['gitlab:ci_job', `gitlab:group:${groupIds[0]}`, `gitlab:group:${groupIds[1]}`, `gitlab:project:${projectId}`, 'system:authenticated']);
  assert.deepEqual(Object.keys(user.extra ?? {}).sort(), [
    'agent.gitlab.com/ci_job_id',
    'agent.gitlab.com/ci_pipeline_id',
    'agent.gitlab.com/config_project_id',
    'agent.gitlab.com/id',
    'agent.gitlab.com/project_id',
    'agent.gitlab.com/username',
  ]);
});

test('access_as impersonate: the configured username, uid, groups and extra', async () => {
  const j = await job('acme/team/imp');
  const user = await whoami(j);
  assert.equal(user.username, 'deployer');
  assert.equal(user.uid, 'deployer-uid-7');
  assert.deepEqual(user.groups, ['deployers', 'gitlab:custom', 'system:authenticated']);
  assert.deepEqual(user.extra, { 'example.com/team': ['platform', 'sre'] });
});

test('document 001: ClusterRole view bound to Group gitlab:ci_job lets a ci_job job list pods, not create a configmap', async () => {
  const j = await job('acme/team/app');
  // Without any binding the job is nobody in the cluster.
  const before = await kubectl(j.kenv, [...CTX, 'get', 'pods', '-n', 'default']);
  assert.notEqual(before.code, 0);
  assert.match(before.stderr, /pods is forbidden: User "gitlab:ci_job:\d+" cannot list resource "pods"/);
  fx.sim.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'ci-job-view' },
    roleRef: { name: 'view', kind: 'ClusterRole', apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ name: 'gitlab:ci_job', kind: 'Group' }],
  });
  try {
    const pods = await kubectl(j.kenv, [...CTX, 'get', 'pods', '-n', 'default', '-o', 'name']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /^pod\/web$/m);
    const create = await kubectl(j.kenv, [...CTX, 'create', 'configmap', 'nope', '-n', 'default', '--from-literal=a=b']);
    assert.equal(create.code, 1);
    assert.match(create.stderr, new RegExp(`configmaps is forbidden: User "gitlab:ci_job:${j.id}" cannot create resource "configmaps" in API group "" in the namespace "default"`));
    assert.equal(fx.sim.get('v1', 'ConfigMap', 'default', 'nope'), undefined);
    const canList = await kubectl(j.kenv, [...CTX, 'auth', 'can-i', 'list', 'pods', '-n', 'default']);
    assert.equal(canList.stdout.trim(), 'yes', canList.stderr);
    const canCreate = await kubectl(j.kenv, [...CTX, 'auth', 'can-i', 'create', 'configmaps', '-n', 'default']);
    assert.equal(canCreate.stdout.trim(), 'no', canCreate.stderr);
    // An upgrade the cluster refuses reaches kubectl as the API server's answer too.
    const exec = await kubectl(j.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', 'nope'], { timeoutMs: 30_000 });
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, new RegExp(`pods "web" is forbidden: User "gitlab:ci_job:${j.id}" cannot create resource "pods/exec" in API group "" in the namespace "default"`));
  } finally {
    fx.sim.delete('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'ci-job-view');
  }
});

test('kubectl --as and --as-group are refused: impersonation is set by the agent configuration only', async () => {
  const j = await job('acme/clusters');
  // A fresh kubectl refused during discovery prints only "Forbidden: unknown" (as with a
  // real API server); with discovery cached, as in any job that ran kubectl before, the
  // refused request's Status message is shown.
  const fresh = await kubectl(j.kenv, [...CTX, '--as=someone', 'get', 'pods', '-n', 'default']);
  assert.notEqual(fresh.code, 0);
  assert.match(fresh.stderr, /Error from server \(Forbidden\)/);
  const warm = await kubectl(j.kenv, [...CTX, 'get', 'pods', '-n', 'default']);
  assert.equal(warm.code, 0, warm.stderr);
  const before = fx.sim.requests.length;
  for (const flags of [['--as=someone'], ['--as=someone', '--as-group=system:masters'], ['--as=someone', '--as-uid=1']]) {
    const r = await kubectl(j.kenv, [...CTX, ...flags, 'get', 'pods', '-n', 'default']);
    assert.notEqual(r.code, 0, flags.join(' '));
    assert.match(r.stderr, /impersonation is set by the agent configuration only/, flags.join(' '));
    assert.match(r.stderr, /Error from server \(Forbidden\): kubegate: impersonation is set by the agent configuration only/);
  }
  const raw = await fx.server.fetch('/-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods', {
    headers: { authorization: `Bearer ci:${agentId}:${j.token}`, 'impersonate-group': 'system:masters' },
  });
  assert.equal(raw.status, 403);
  const status = (await raw.json()) as Record<string, unknown>;
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'Forbidden');
  assert.match(String(status.message), /^kubegate: impersonation is set by the agent configuration only/);
  assert.equal(fx.sim.requests.length, before, 'nothing reached the cluster');
});

test('a finished job\'s token is refused at once, even right after a successful call', async () => {
  const j = await job('acme/clusters');
  const ok = await kubectl(j.kenv, [...CTX, 'get', 'pods', '-n', 'default', '-o', 'name']);
  assert.equal(ok.code, 0, ok.stderr);
  const project = await ensureProject(fx.server, 'acme/clusters');
  const fin = await fx.server.api('POST', `/projects/${project.id}/jobs/${j.id}/finish`);
  assert.equal(fin.status, 200, JSON.stringify(fin.body));
  const after = await kubectl(j.kenv, [...CTX, 'get', 'pods', '-n', 'default', '-o', 'name']);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /You must be logged in to the server|Unauthorized/);
  assert.match(after.stderr, /has finished/);
  const raw = await fx.server.fetch('/-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods', { headers: { authorization: `Bearer ci:${agentId}:${j.token}` } });
  assert.equal(raw.status, 401);
});

test('a configuration push takes effect on the next requests', async () => {
  const j = await job('acme/team/app');
  assert.equal((await whoami(j)).username, `gitlab:ci_job:${j.id}`);
  await pushAgentConfig(fx, 'acme/clusters', 'prod', agentId, CONFIG.replace('ci_job: {}', 'agent: {}'));
  const r = await kubectlUntil(j.kenv, [...CTX, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], (x) => x.stdout === 'system:serviceaccount:gitlab-agent:gitlab-agent', 3_000);
  assert.equal(r.stdout, 'system:serviceaccount:gitlab-agent:gitlab-agent', r.stderr);
  await pushAgentConfig(fx, 'acme/clusters', 'prod', agentId, CONFIG);
});
