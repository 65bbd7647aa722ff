/**
 * Issue 8, fault 11: long streams starved everything else on an agent. Each watch held
 * one of the 256 connections of the agent's pool to the Kubernetes API for its whole life,
 * so with 500 watches through one pod (GitLab's agent allows 500) the rest waited until
 * they got 504 — short requests of every other CI job included.
 *
 * Here one job opens 500 watches through one agent pod (started with
 * `--max-long-streams 500`); another job's kubectl requests still succeed, promptly; the
 * 501st watch gets a prompt 429 Status naming the limit. Watches reach the API server as
 * HTTP/2 streams on a handful of connections (it allows 100 streams per connection).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindAgentClusterAdmin, createJob, ensureProject, type Job } from '../helpers/ci.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';
import { pushFiles } from '../helpers/git.js';

const WATCHES = 500;
const WATCH_PATH = '/api/v1/namespaces/default/configmaps?watch=true';

let sim: KubeApiSimulator;
let server: TestServer;
let agent: AgentProcess;
let agentId: number;
let watcher: Job;
let other: Job;
let dispatcher: Agent;
const open: Array<{ close(): void }> = [];

before(async () => {
  sim = await startKubeApiServer();
  bindAgentClusterAdmin(sim);
  sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { a: '1' } });
  server = await startTestServer({ tls: true });
  const config = await ensureProject(server, 'streams/config');
  await ensureProject(server, 'streams/other');
  await pushFiles(server, 'streams/config', { '.gitlab/agents/busy/config.yaml': 'ci_access:\n  projects:\n    - id: streams/other\n' });
  const registered = await server.api('POST', `/projects/${config.id}/cluster_agents`, { name: 'busy' });
  agentId = registered.body.id;
  const token = await server.api('POST', `/projects/${config.id}/cluster_agents/${agentId}/tokens`, { name: 't' });
  agent = await startAgent({ serverUrl: server.url, token: token.body.token, sim, caCertFile: server.caCertFile!, extraArgs: ['--max-long-streams', String(WATCHES)] });
  await eventually(async () => ((await server.api('GET', `/projects/${config.id}/cluster_agents/${agentId}`)).body.connections?.length === 1 ? true : undefined), 20_000, 'agent connected');
  watcher = await createJob(server, 'streams/config');
  other = await createJob(server, 'streams/other');
  dispatcher = new Agent({ connect: { ca: server.caCert! }, connections: WATCHES + 50, headersTimeout: 30_000 });
});

after(async () => {
  for (const w of open) w.close();
  await dispatcher?.close().catch(() => undefined);
  await agent?.stop();
  await watcher?.kenv.cleanup();
  await other?.kenv.cleanup();
  await server?.close();
  await sim?.close();
});

/** Opens one watch as the watching job; resolves with its status once the headers arrived. */
async function openWatch(): Promise<{ status: number; body: string }> {
  const controller = new AbortController();
  const res = await request(`${server.url}/-/kubernetes-agent/k8s-proxy${WATCH_PATH}`, {
    dispatcher,
    headers: { authorization: `Bearer ci:${agentId}:${watcher.token}` },
    signal: controller.signal,
  });
  if (res.statusCode !== 200) return { status: res.statusCode, body: await res.body.text() };
  res.body.on('error', () => undefined);
  res.body.resume();
  open.push({ close: () => controller.abort() });
  return { status: 200, body: '' };
}

test('500 watches through one agent pod leave short requests of another job unharmed; the 501st gets a prompt 429 naming the limit', async () => {
  const statuses = await Promise.all(Array.from({ length: WATCHES }, () => openWatch().then((r) => r.status)));
  assert.deepEqual(new Set(statuses), new Set([200]), 'every watch is open');
  assert.equal(sim.openStreams().watch, WATCHES, 'all of them reached the API server');
  // Multiplexed: a handful of HTTP/2 connections to the API server, not 500.
  const sessions = sim.http2Sessions();
  assert.ok(sessions >= 5 && sessions <= 10, `${sessions} HTTP/2 connections carry ${WATCHES} watches`);
  assert.ok(sim.requests.filter((r) => r.verb === 'watch').every((r) => r.httpVersion === '2.0'), 'watches arrive over HTTP/2');

  // Another job's short requests go through while the watches stay open.
  for (let i = 0; i < 5; i++) {
    const r = await kubectl(other.kenv, ['--context', 'streams/config:busy', '--request-timeout=20s', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.a}'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1');
  }

  // One more long stream: refused at once, with the limit named.
  const refused = await openWatch();
  assert.equal(refused.status, 429);
  const status = JSON.parse(refused.body) as { kind: string; code: number; reason: string; message: string };
  assert.deepEqual([status.kind, status.code, status.reason], ['Status', 429, 'TooManyRequests']);
  assert.match(status.message, /^kubegate agent: pod agent-pod-1 has 500 long-lived requests open \(watch, logs -f, exec, attach, port-forward\), its limit \(--max-long-streams\); close some, or run more agent replicas$/);
  // kubectl says so too.
  const viaKubectl = await kubectl(other.kenv, ['--context', 'streams/config:busy', '--request-timeout=20s', 'get', 'configmaps', '--watch'], { timeoutMs: 30_000 });
  assert.notEqual(viaKubectl.code, 0);
  assert.match(viaKubectl.stderr, /500 long-lived requests open.*--max-long-streams/);

  // Closing watches frees their slots.
  for (const w of open.splice(0)) w.close();
  await eventually(async () => (sim.openStreams().watch === 0 ? true : undefined), 20_000, 'every watch closed at the API server');
  const again = await openWatch();
  assert.equal(again.status, 200);
});
