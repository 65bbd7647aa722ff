/**
 * What deploy jobs really run through the proxy, with the real kubectl: client-side and
 * server-side apply, rollout status, `kubectl run --rm -i` with stdin, a kubeconfig built
 * by hand as in document 001, and the message kubectl shows when the agent is down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, type KubectlEnv } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { startAgent } from '../helpers/agent.js';
import { kubectlUntil } from './ci_proxy_support.js';

const CTX = ['--context', 'acme/clusters:prod'];
let fx: CiFixture;
let agentId: number;
let job: Job;

const manifest = (mode: string, replicas = 2) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: deploy
data:
  mode: ${mode}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: deploy
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          command: [sleep, infinity]
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: deploy
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 80
`;

before(async () => {
  fx = await startCiFixture();
  ({ agentId } = await connectAgent(fx, 'acme/clusters', 'prod'));
  job = await createJob(fx.server, 'acme/clusters');
  const ns = await kubectl(job.kenv, [...CTX, 'create', 'namespace', 'deploy']);
  assert.equal(ns.code, 0, ns.stderr);
});

after(async () => {
  await job?.kenv.cleanup();
  await fx?.close();
});

test('client-side kubectl apply -f (OpenAPI fetched through the proxy), then rollout status', async () => {
  const file = join(job.kenv.dir, 'app.yaml');
  await writeFile(file, manifest('blue'));
  fx.sim.clearRequests();
  const apply = await kubectl(job.kenv, [...CTX, 'apply', '-f', file], { timeoutMs: 60_000 });
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(apply.stdout, /configmap\/app-config created/);
  assert.match(apply.stdout, /deployment\.apps\/web created/);
  assert.match(apply.stdout, /service\/web created/);
  assert.ok(fx.sim.requests.some((r) => r.path.startsWith('/openapi/v3')), 'kubectl validated against the OpenAPI document');
  const rollout = await kubectl(job.kenv, [...CTX, 'rollout', 'status', 'deployment/web', '-n', 'deploy', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /deployment "web" successfully rolled out/);
  // Applying a change patches (three-way merge from the last-applied annotation).
  await writeFile(file, manifest('green', 3));
  const again = await kubectl(job.kenv, [...CTX, 'apply', '-f', file], { timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /configmap\/app-config configured/);
  assert.match(again.stdout, /deployment\.apps\/web configured/);
  assert.match(again.stdout, /service\/web unchanged/);
  assert.equal((fx.sim.get('v1', 'ConfigMap', 'deploy', 'app-config')?.data as Record<string, string> | undefined)?.mode, 'green');
  assert.equal((fx.sim.get('apps/v1', 'Deployment', 'deploy', 'web')?.spec as { replicas: number }).replicas, 3);
  const status = await kubectl(job.kenv, [...CTX, 'rollout', 'status', 'deployment/web', '-n', 'deploy', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(status.code, 0, status.stderr);
  const wait = await kubectl(job.kenv, [...CTX, 'wait', '--for=condition=Available', 'deployment/web', '-n', 'deploy', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(wait.code, 0, wait.stderr);
  assert.match(wait.stdout, /deployment\.apps\/web condition met/);
  const del = await kubectl(job.kenv, [...CTX, 'delete', 'configmap', 'app-config', '-n', 'deploy']);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /configmap "app-config" deleted/);
  assert.equal(fx.sim.get('v1', 'ConfigMap', 'deploy', 'app-config'), undefined);
});

test('kubectl apply --server-side', async () => {
  const file = join(job.kenv.dir, 'ssa.yaml');
  await writeFile(file, manifest('server-side').replace(/name: app-config/, 'name: ssa-config').split('---')[0]!);
  const r = await kubectl(job.kenv, [...CTX, 'apply', '--server-side', '--field-manager=ci', '-f', file], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/ssa-config serverside-applied/);
  assert.equal((fx.sim.get('v1', 'ConfigMap', 'deploy', 'ssa-config')?.data as Record<string, string> | undefined)?.mode, 'server-side');
  const patch = fx.sim.requests.filter((q) => q.method === 'PATCH' && q.name === 'ssa-config').at(-1);
  assert.match(patch?.query ?? '', /fieldManager=ci/);
});

test('kubectl run --rm -i --restart=Never -- cat passes stdin and removes the pod', async () => {
  const r = await kubectl(job.kenv, [...CTX, 'run', '--rm', '-i', '--restart=Never', '--image=busybox', 'catter', '-n', 'deploy', '--', 'cat'], { input: 'hello through the tunnel\n', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hello through the tunnel/);
  assert.match(r.stdout, /pod "catter" deleted/);
  assert.equal(fx.sim.get('v1', 'Pod', 'deploy', 'catter'), undefined);
});

test('a kubeconfig built by hand as in document 001', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-handmade-'));
  const kenv: KubectlEnv = {
    dir,
    kubeconfig: join(dir, 'config'),
    env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  try {
    const steps = [
      ['config', 'set-credentials', `agent:${agentId}`, `--token=ci:${agentId}:${job.token}`],
      ['config', 'set-cluster', 'gitlab', `--server=${fx.server.url}/-/kubernetes-agent/k8s-proxy/`, `--certificate-authority=${fx.server.caCertFile}`],
      ['config', 'set-context', 'my-context', '--cluster=gitlab', `--user=agent:${agentId}`],
      ['config', 'use-context', 'my-context'],
    ];
    for (const step of steps) {
      const r = await kubectl(kenv, step);
      assert.equal(r.code, 0, `${step.join(' ')}: ${r.stderr}`);
    }
    const pods = await kubectl(kenv, ['get', 'deployments', '-n', 'deploy', '-o', 'name']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.equal(pods.stdout, 'deployment.apps/web\n');
  } finally {
    await kenv.cleanup();
  }
});

test('with no connected agent pod kubectl shows kubegate\'s 503 message', async () => {
  // Warm the discovery cache first, as any job that ran kubectl before has it.
  const warm = await kubectl(job.kenv, [...CTX, 'get', 'pods', '-n', 'deploy']);
  assert.equal(warm.code, 0, warm.stderr);
  for (const agent of fx.agents) await agent.stop();
  const r = await kubectl(job.kenv, [...CTX, 'get', 'pods', '-n', 'deploy'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Error from server \\(ServiceUnavailable\\): kubegate: agent ${agentId} \\("acme/clusters:prod"\\) has no connected pods; is the agent running\\?`));
  const raw = await fx.server.fetch('/-/kubernetes-agent/k8s-proxy/version', { headers: { authorization: `Bearer ci:${agentId}:${job.token}` } });
  assert.equal(raw.status, 503);
  const status = (await raw.json()) as Record<string, unknown>;
  assert.equal(status.kind, 'Status');
  assert.equal(status.code, 503);
  assert.equal(status.reason, 'ServiceUnavailable');
  // exec (an upgrade) gets the same answer.
  const exec = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'deploy', 'x', '--', 'true'], { timeoutMs: 60_000 });
  assert.notEqual(exec.code, 0);
  assert.match(exec.stderr, /has no connected pods; is the agent running\?/);

  // The agent comes back (a new pod with a new token): the same kubeconfig works again.
  const project = await fx.server.api('GET', `/projects/${encodeURIComponent('acme/clusters')}`);
  const token = await fx.server.api('POST', `/projects/${project.body.id}/cluster_agents/${agentId}/tokens`, { name: 'second' });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  fx.agents.push(await startAgent({ serverUrl: fx.server.url, token: token.body.token, sim: fx.sim, podName: 'prod-pod-2', caCertFile: fx.server.caCertFile! }));
  const back = await kubectlUntil(job.kenv, [...CTX, 'get', 'deployments', '-n', 'deploy', '-o', 'name'], (x) => x.code === 0, 30_000);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout, 'deployment.apps/web\n');
});
