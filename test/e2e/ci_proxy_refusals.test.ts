/**
 * Refusals a CI job meets on its very first kubectl command (no discovery cache yet):
 * kubectl must print kubegate's message, and every refusal is audited.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { kubectl, spawnKubectl } from '../kube-apiserver/testing/kubectl.js';
import { runPod } from './ci_proxy_support.js';
import { connectAgent, createJob, ensureProject, startCiFixture, type CiFixture } from '../helpers/ci.js';

let fx: CiFixture;
let agentId: number;

before(async () => {
  fx = await startCiFixture();
  ({ agentId } = await connectAgent(fx, 'refuse/clusters', 'prod'));
  await ensureProject(fx.server, 'refuse/other');
});

after(async () => {
  await fx?.close();
});

async function auditFor(jobId: number) {
  const res = await fx.server.api('GET', `/audit_events?job_id=${jobId}&per_page=100`);
  assert.equal(res.status, 200);
  return res.body as Array<Record<string, any>>;
}

test('a job that may not use the agent sees kubegate\'s reason on its first command, and the refusal is audited', async () => {
  // A project the agent does not grant, with a kubeconfig built by hand for the agent.
  const job = await createJob(fx.server, 'refuse/other');
  try {
    await writeFile(
      job.kenv.kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'k', cluster: { server: `${fx.server.url}/-/kubernetes-agent/k8s-proxy/`, 'certificate-authority-data': Buffer.from(fx.server.caCert!).toString('base64') } }],
        users: [{ name: 'u', user: { token: `ci:${agentId}:${job.token}` } }],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const res = await kubectl(job.kenv, ['get', 'pods']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /kubegate: job \d+ of project refuse\/other may not use agent \d+/);
    const events = await auditFor(job.id);
    assert.ok(events.length > 0, 'refusals are audited');
    assert.equal(events[0]!.status, 403);
    assert.equal(events[0]!.project.path, 'refuse/other');
    assert.equal(events[0]!.agent.id, agentId);
    assert.match(events[0]!.error, /may not use agent/);
  } finally {
    await job.kenv.cleanup();
  }
});

test('--as on the first command shows why it is refused, and nothing reaches the cluster', async () => {
  const job = await createJob(fx.server, 'refuse/clusters');
  try {
    fx.sim.clearRequests();
    const res = await kubectl(job.kenv, ['--context', 'refuse/clusters:prod', '--as', 'someone', 'get', 'pods']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /impersonation is set by the agent configuration only/);
    // The agent itself reads /version now and then; nothing else may have arrived.
    assert.deepEqual(fx.sim.requests.filter((r) => r.path !== '/version').map((r) => `${r.method} ${r.path}`), []);
    const events = await auditFor(job.id);
    assert.ok(events.some((e) => e.status === 403 && /impersonation/.test(e.error)));
  } finally {
    await job.kenv.cleanup();
  }
});

test('finishing a job ends its open streams: a forgotten logs -f exits', async () => {
  await runPod(fx, 'default', 'chatty');
  const job = await createJob(fx.server, 'refuse/clusters');
  try {
    const logs = spawnKubectl(job.kenv, ['--context', 'refuse/clusters:prod', 'logs', '-f', 'chatty', '-n', 'default']);
    fx.sim.appendLog('default', 'chatty', 'hello from chatty');
    await logs.waitFor(/hello from chatty/, 15_000);
    const project = await fx.server.api('GET', `/projects/${encodeURIComponent('refuse/clusters')}`);
    const finished = await fx.server.api('POST', `/projects/${project.body.id}/jobs/${job.id}/finish`);
    assert.equal(finished.status, 200);
    const code = await Promise.race([logs.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    assert.notEqual(code, 'still running', 'kubectl logs -f ended when the job finished');
  } finally {
    await job.kenv.cleanup();
  }
});
