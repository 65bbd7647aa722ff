/**
 * Issue 8, fault 6: SIGTERM must drain proxied requests. The documented order is stop
 * accepting, let requests in flight finish (≤ 30 s) through tunnels that are still open,
 * flush audit events, then close tunnels and the store. Before, the tunnels closed first:
 * requests in flight got 503 or a reset, and audit events written during the shutdown
 * never reached the database.
 *
 * A steady stream of proxied requests (and the real kubectl) runs against a server
 * process; at the moment of the signal every client's request is held inside the
 * Kubernetes API simulator, so each one was accepted before the signal. They are released
 * once the server drains: each must complete with 200, and after a restart the audit log
 * must hold an event for every request made.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { spawnKubectl } from '../kube-apiserver/testing/kubectl.js';
import { startServerProcess, type ServerProcess } from '../helpers/server_process.js';
import { bindAgentClusterAdmin, createJob, ensureProject } from '../helpers/ci.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';

const CLIENTS = 6;
const CONFIGMAP_PATH = '/api/v1/namespaces/default/configmaps/';

let sim: KubeApiSimulator | undefined;
let agent: AgentProcess | undefined;
const servers: ServerProcess[] = [];

after(async () => {
  await agent?.stop();
  for (const s of servers) if (s.proc.exitCode === null) await s.stop('SIGKILL');
  for (const s of servers) await rm(s.dataDir, { recursive: true, force: true });
  for (const s of servers) await rm(`${s.dataDir}-tls`, { recursive: true, force: true });
  await sim?.close();
});

test('SIGTERM during a steady stream of proxied requests: every accepted request completes with 200 and every audit event is stored', async () => {
  sim = await startKubeApiServer();
  bindAgentClusterAdmin(sim);
  for (let i = 0; i < CLIENTS; i++) sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { i: String(i) } });
  sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-kubectl', namespace: 'default' }, data: {} });

  const server = await startServerProcess();
  servers.push(server);
  const project = await ensureProject(server, 'drain/app');
  const registered = await server.api('POST', `/projects/${project.id}/cluster_agents`, { name: 'drainer' });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const agentId = registered.body.id as number;
  const token = await server.api('POST', `/projects/${project.id}/cluster_agents/${agentId}/tokens`, { name: 't' });
  agent = await startAgent({ serverUrl: server.url, token: token.body.token, sim, caCertFile: server.caCertFile! });
  await eventually(async () => ((await server.api('GET', `/projects/${project.id}/cluster_agents/${agentId}`)).body.connections?.length > 0 ? true : undefined), 20_000, 'agent connected');
  const job = await createJob(server, 'drain/app');

  const dispatcher = new Agent({ connect: { ca: server.caCert! }, connections: CLIENTS });
  const results: number[] = [];
  const failures: string[] = [];
  let stopIssuing = false;
  async function client(i: number): Promise<void> {
    while (!stopIssuing) {
      try {
        const res = await request(`${server.url}/-/kubernetes-agent/k8s-proxy${CONFIGMAP_PATH}cm-${i}`, {
          dispatcher,
          headers: { authorization: `Bearer ci:${agentId}:${job.token}` },
        });
        const body = await res.body.text();
        results.push(res.statusCode);
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${body}`);
      } catch (err) {
        failures.push(`client ${i}: ${(err as Error).message}`);
        return;
      }
    }
  }

  // A steady stream first…
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
  await eventually(async () => (results.length >= 60 ? true : undefined), 30_000, 'a steady stream of proxied requests');
  // …then every client's next request (and a real kubectl's) is held inside the cluster's
  // API: in flight through the server and the tunnel when the signal comes.
  const hold = sim.holdRequests(({ path }) => path.startsWith(CONFIGMAP_PATH));
  // A watch never finishes by itself: draining ends it cleanly rather than wait for it.
  const watch = spawnKubectl(job.kenv, ['--context', 'drain/app:drainer', 'get', 'namespaces', '--watch', '-o', 'name']);
  await watch.waitFor(/namespace\/default/, 20_000);
  const kubectl = spawnKubectl(job.kenv, ['--context', `drain/app:drainer`, 'get', 'configmap', 'cm-kubectl', '-o', 'name']);
  await hold.waitForHeld(CLIENTS + 1, 20_000);
  stopIssuing = true;
  const completedBefore = results.length;

  server.proc.kill('SIGTERM');
  await server.waitForOutput('shutting down');
  // Not accepting any more…
  await assert.rejects(server.fetch('/-/liveness'), 'no new connections while draining');
  // …the watch was ended at once (the held requests are still in flight)…
  assert.equal(await watch.exited, 0, watch.stderr());
  // …and what was accepted finishes, through the tunnel that is still open.
  hold.release();
  await Promise.all(clients);
  const kubectlCode = await kubectl.exited;
  assert.deepEqual(failures, [], 'no request in flight at SIGTERM failed');
  assert.equal(results.length, completedBefore + CLIENTS);
  assert.ok(results.every((code) => code === 200));
  assert.equal(kubectlCode, 0, kubectl.stderr());
  assert.equal(kubectl.stdout().trim(), 'configmap/cm-kubectl');
  assert.equal(await server.exited, 0, server.stderr());
  assert.match(server.stdout(), /kubegate server stopped/);
  await dispatcher.close();

  // After a restart, the audit log holds an event for every one of those requests.
  const restarted = await startServerProcess({ dataDir: server.dataDir, port: server.port });
  servers.push(restarted);
  const events = await allAuditEvents(restarted, job.id);
  const gets = events.filter((e) => e.resource === 'configmaps' && e.verb === 'get');
  assert.equal(gets.filter((e) => e.name.startsWith('cm-') && e.name !== 'cm-kubectl').length, results.length, 'one stored audit event per client request');
  assert.ok(gets.every((e) => e.status === 200), JSON.stringify(gets.filter((e) => e.status !== 200)));
  assert.equal(gets.filter((e) => e.name === 'cm-kubectl').length, 1, "kubectl's request is audited too");
  assert.equal(await restarted.stop(), 0);
});

async function allAuditEvents(server: ServerProcess, jobId: number): Promise<Array<{ resource: string; verb: string; name: string; status: number }>> {
  const out = [];
  for (let page = 1; ; page++) {
    const res = await server.api('GET', `/audit_events?job_id=${jobId}&per_page=100&page=${page}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    out.push(...(res.body as Array<{ resource: string; verb: string; name: string; status: number }>));
    if (res.headers.get('x-next-page') === '' || res.headers.get('x-next-page') === null) return out;
  }
}
