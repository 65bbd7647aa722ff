/**
 * Issue 8, faults 7 and 8, against real agent processes, the real kubectl and the
 * Kubernetes API simulator:
 * - a tunnel connection that completes the WebSocket handshake and then stays silent (a
 *   hung pod, a proxy that parses frames) must never receive requests — before, it got
 *   about half of them, which hung for 44 s;
 * - a pod that stops answering (SIGSTOP) is taken out of rotation at once, and requests
 *   waiting on it go to the other pod;
 * - a WebSocket frame header claiming 16 MiB followed by silence must not hold the
 *   connection open until the heartbeat gives up (60 s before): the frame timeout closes it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindAgentClusterAdmin, createJob, ensureProject, type Job } from '../helpers/ci.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';
import { EMPTY_HTTP2_SETTINGS, clientFrame, rawTunnelClient } from '../../src/modules/tunnel/testing.js';

const CONTEXT = 'faults/config:pods';
const FRAME_TIMEOUT_MS = 1_000;

let sim: KubeApiSimulator;
let server: TestServer;
let agentToken: string;
let agentId: number;
let projectId: number;
let job: Job;
const pods: AgentProcess[] = [];

before(async () => {
  sim = await startKubeApiServer();
  bindAgentClusterAdmin(sim);
  sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { a: '1' } });
  server = await startTestServer({
    tls: true,
    // Production values are seconds; these keep the test short. The silent connection must
    // outlive the requests below, so HTTP/2 gets a long time to start.
    tunnel: { heartbeatIntervalMs: 1_000, pingAckTimeoutMs: 300, probeIdleMs: 0, establishTimeoutMs: 60_000, frameTimeoutMs: FRAME_TIMEOUT_MS },
  });
  const project = await ensureProject(server, 'faults/config');
  projectId = project.id;
  const agent = await server.api('POST', `/projects/${project.id}/cluster_agents`, { name: 'pods' });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  agentId = agent.body.id;
  const token = await server.api('POST', `/projects/${project.id}/cluster_agents/${agentId}/tokens`, { name: 't' });
  agentToken = token.body.token;
  for (const name of ['pod-a', 'pod-b']) pods.push(await startAgent({ serverUrl: server.url, token: agentToken, sim, podName: name, caCertFile: server.caCertFile! }));
  await eventually(async () => (await connectedPods()).length === 2 || undefined, 20_000, 'both pods connected');
  job = await createJob(server, 'faults/config');
});

after(async () => {
  for (const pod of pods) {
    pod.child.kill('SIGCONT');
    await pod.stop();
  }
  await job?.kenv.cleanup();
  await server?.close();
  await sim?.close();
});

async function connectedPods(): Promise<string[]> {
  const res = await server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`);
  return (res.body.connections as Array<{ pod_name: string }>).map((c) => c.pod_name).sort();
}

/** kubectl as the job; a request that hangs on a dead connection fails the call. */
function getConfigMap() {
  return kubectl(job.kenv, ['--context', CONTEXT, '--request-timeout=20s', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.a}'], { timeoutMs: 30_000 });
}

describe('tunnel liveness', () => {
  test('a connection that completed the WebSocket handshake and stays silent gets no request', async () => {
    const silent = await rawTunnelClient(`${server.url}/-/kubernetes-agent/`, agentToken, { ca: server.caCert! });
    assert.equal(silent.status, 101, 'a valid agent token: the handshake completes');
    let silentClosed = false;
    void silent.closed.then(() => (silentClosed = true));
    const results = await Promise.all(Array.from({ length: 8 }, () => getConfigMap()));
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '1');
    }
    assert.equal(silentClosed, false, 'the silent connection was open all along');
    assert.deepEqual(await connectedPods(), ['pod-a', 'pod-b'], 'it is not listed as a connection either');
    silent.socket.destroy();
  });

  test('a pod that stops answering (SIGSTOP) is out of rotation at once; requests go to the other pod', async () => {
    const frozen = pods[0]!;
    frozen.child.kill('SIGSTOP');
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => getConfigMap()));
      for (const r of results) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '1');
      }
      const warned = server.logs.find((l) => l.msg === 'agent connection out of rotation: a ping went unanswered');
      assert.ok(warned, 'the server says why the pod is out of rotation');
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // Answering again, it is back (never dropped: the heartbeat timeout is far longer).
    await eventually(async () => (server.logs.some((l) => l.msg === 'agent connection back in rotation: it answers again') ? true : undefined), 10_000, 'pod a back in rotation');
    assert.deepEqual(await connectedPods(), ['pod-a', 'pod-b']);
  });
});

describe('frame bounds', () => {
  test('a frame header claiming 16 MiB and then silence closes the connection after the frame timeout', async () => {
    const disconnects = server.logs.length;
    const peer = await rawTunnelClient(`${server.url}/-/kubernetes-agent/`, agentToken, { ca: server.caCert! });
    assert.equal(peer.status, 101);
    peer.socket.write(clientFrame(EMPTY_HTTP2_SETTINGS));
    await eventually(async () => ((await connectedPods()).length === 3 ? true : undefined), 10_000, 'the hand-driven connection established');
    peer.socket.write(clientFrame(Buffer.from('0123456789'), { declaredLength: 16 * 1024 * 1024 }));
    await peer.closed;
    const line = server.logs.slice(disconnects).find((l) => l.msg === 'agent disconnected' && /half-sent/.test(String(l.reason)));
    assert.equal(line?.reason, `the agent left a WebSocket frame half-sent for ${FRAME_TIMEOUT_MS / 1000} s (10 of 16777216 bytes arrived)`);
    assert.deepEqual(await connectedPods(), ['pod-a', 'pod-b']);
    const r = await getConfigMap();
    assert.equal(r.code, 0, r.stderr);
  });
});
