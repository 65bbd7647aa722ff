/**
 * CI/CD access end to end: a job's kubeconfig used by the real kubectl, through the
 * server's proxy and the agent's tunnel, against the Kubernetes API simulator.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, startCiFixture, type CiFixture } from '../helpers/ci.js';

let fx: CiFixture;
let agentId: number;

before(async () => {
  fx = await startCiFixture();
  ({ agentId } = await connectAgent(fx, 'acme/clusters', 'prod'));
});

after(async () => {
  await fx?.close();
});

test('a job of the configuration project gets a context and lists pods', async () => {
  const job = await createJob(fx.server, 'acme/clusters');
  try {
    const contexts = await kubectl(job.kenv, ['config', 'get-contexts', '-o', 'name']);
    assert.equal(contexts.code, 0, contexts.stderr);
    assert.deepEqual(contexts.stdout.trim().split('\n'), ['acme/clusters:prod']);
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello', namespace: 'default' }, data: { a: 'b' } });
    const get = await kubectl(job.kenv, ['--context', 'acme/clusters:prod', 'get', 'configmaps', '-n', 'default', '-o', 'name']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /configmap\/hello/);
    const whoami = await kubectl(job.kenv, ['--context', 'acme/clusters:prod', 'auth', 'whoami', '-o', 'json']);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, 'system:serviceaccount:gitlab-agent:gitlab-agent');
  } finally {
    await job.kenv.cleanup();
  }
  assert.ok(agentId > 0);
});
