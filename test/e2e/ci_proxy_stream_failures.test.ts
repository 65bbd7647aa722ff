/**
 * Long streams end loudly when their path breaks: the agent connection carrying a
 * `kubectl get -w` or `kubectl logs -f` goes away (the agent stops, or is killed), and
 * kubectl exits non-zero with a message naming the cause, not 0 in silence. And an agent
 * told to stop lets a request in flight finish first (its grace period), then ends what
 * still streams with its reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnKubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { eventually, startAgent } from '../helpers/agent.js';
import { runPod } from './ci_proxy_support.js';

let fx: CiFixture;
let job: Job;
let projectId = 0;
let agentId = 0;

before(async () => {
  fx = await startCiFixture();
  ({ agentId, projectId } = await connectAgent(fx, 'acme/clusters', 'prod'));
  job = await createJob(fx.server, 'acme/clusters');
  await runPod(fx, 'default', 'web');
  fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: {} });
});

after(async () => {
  await job?.kenv.cleanup();
  await fx?.close();
});

const CTX = ['--context', 'acme/clusters:prod'];

/** Replaces the agent's processes by a new one (`args`: more agent flags), connected. */
async function reconnect(args: string[] = []): Promise<void> {
  await Promise.all(fx.agents.splice(0).map((a) => a.stop()));
  await eventually(async () => ((await fx.server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`)).body.connections.length === 0 ? true : undefined));
  const token = await fx.server.api('POST', `/projects/${projectId}/cluster_agents/${agentId}/tokens`, { name: `t${Date.now()}` });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  fx.agents.push(await startAgent({ serverUrl: fx.server.url, token: token.body.token, sim: fx.sim, caCertFile: fx.server.caCertFile!, extraArgs: args }));
  await eventually(async () => ((await fx.server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`)).body.connections.length > 0 ? true : undefined), 20_000, 'the agent connected');
  // At most two active tokens per agent: revoke the previous ones' slot by revoking this one's elder siblings.
  const tokens = await fx.server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}/tokens`);
  for (const t of tokens.body.filter((x: { id: number; status: string }) => x.status === 'active' && x.id !== token.body.id)) {
    await fx.server.api('DELETE', `/projects/${projectId}/cluster_agents/${agentId}/tokens/${t.id}`);
  }
}

test('get -w ends with an ERROR event naming the cause when the agent connection is lost, which kubectl prints', async () => {
  const watch = spawnKubectl(job.kenv, [...CTX, 'get', 'configmaps', '-n', 'default', '-w', ]);
  try {
    await watch.waitFor(/settings/, 15_000);
    // An event through the watch itself: its answer's head has reached kubectl.
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: {} });
    await watch.waitFor(/watched/, 15_000);
    // The agent process dies at once (no graceful stop): its connection is simply gone.
    fx.agents[0]!.child.kill('SIGKILL');
    // kubectl prints the ERROR event's Status and stops watching. (kubectl 1.32 exits 0
    // whenever a `get -w` ends, for any reason: the message is what it can show.)
    await watch.exited;
    assert.match(watch.stdout(), /^Failure\s+ServiceUnavailable\s+kubegate: the connection to agent \d+ \("acme\/clusters:prod"\) ended \(the connection was lost\) while this request was streaming; run the command again$/m, watch.stdout());
  } finally {
    await watch.stop();
  }
});

test('logs -f ends with a last line naming the cause and a non-zero exit when the agent connection is lost', async () => {
  await reconnect();
  fx.sim.appendLog('default', 'web', 'before the break');
  const logs = spawnKubectl(job.kenv, [...CTX, 'logs', '-f', 'web', '-n', 'default']);
  try {
    await logs.waitFor(/before the break/, 15_000);
    fx.agents[0]!.child.kill('SIGKILL');
    const code = await logs.exited;
    assert.notEqual(code, 0, `kubectl must fail; stdout: ${logs.stdout()} stderr: ${logs.stderr()}`);
    assert.match(logs.stdout(), /kubegate: the connection to agent \d+ \("acme\/clusters:prod"\) ended \(.+\) while this request was streaming; run the command again/);
  } finally {
    await logs.stop();
  }
});

test('an agent told to stop (SIGTERM) ends a watch after its grace period with "the agent is stopping"', async () => {
  await reconnect(['--shutdown-grace-period', '10s']);
  const watch = spawnKubectl(job.kenv, [...CTX, 'get', 'configmaps', '-n', 'default', '-w', ]);
  try {
    await watch.waitFor(/settings/, 15_000);
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched-again', namespace: 'default' }, data: {} });
    await watch.waitFor(/watched-again/, 15_000);
    const agent = fx.agents[0]!;
    agent.child.kill('SIGTERM');
    await agent.waitForLog((l) => /^stopping: no new requests/.test(String(l.msg)));
    // Within its grace period the watch still delivers.
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'during-the-grace-period', namespace: 'default' }, data: {} });
    await watch.waitFor(/during-the-grace-period/, 15_000);
    await watch.exited;
    assert.match(watch.stdout(), /^Failure\s+ServiceUnavailable\s+kubegate: the connection to agent \d+ \("acme\/clusters:prod"\) ended \(the agent is stopping\) while this request was streaming/m, watch.stdout());
  } finally {
    await watch.stop();
  }
});
