/**
 * Streams through the proxy over their lifetime: a client that goes away cancels the
 * upstream request, an idle watch is not cut, one stream that nobody reads does not stall
 * another, and every request leaves an audit event.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { kubectl, spawnKubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, ensureProject, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { eventually, startAgent } from '../helpers/agent.js';
import { auditEvents, echoRoundTrip, forwardedPort, runPod } from './ci_proxy_support.js';

const CTX = ['--context', 'acme/clusters:prod'];
let fx: CiFixture;
let agentId: number;
let job: Job;

before(async () => {
  fx = await startCiFixture();
  ({ agentId } = await connectAgent(fx, 'acme/clusters', 'prod'));
  job = await createJob(fx.server, 'acme/clusters');
  await runPod(fx, 'default', 'web');
  await runPod(fx, 'default', 'noisy');
});

after(async () => {
  await job?.kenv.cleanup();
  await fx?.close();
});

const agentLog = () => fx.agents[0]!;

test('killing kubectl logs -f or get -w cancels the request to the Kubernetes API', async () => {
  const logs = spawnKubectl(job.kenv, [...CTX, 'logs', '-f', 'web', '-n', 'default']);
  fx.sim.appendLog('default', 'web', 'before the kill');
  await logs.waitFor(/before the kill/, 15_000);
  logs.child.kill('SIGKILL');
  await logs.exited;
  await agentLog().waitForLog((l) => l.msg === 'the caller went away; cancelled the Kubernetes API request' && /\/pods\/web\/log\?/.test(String(l.path)), 15_000);

  fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: {} });
  const watch = spawnKubectl(job.kenv, [...CTX, 'get', 'configmaps', '-n', 'default', '-w', '-o', 'name']);
  await watch.waitFor(/configmap\/watched/, 15_000);
  // That line comes from the initial list; kill kubectl only once its watch is open.
  await eventually(async () => (fx.sim.requests.some((q) => q.verb === 'watch' && q.resource === 'configmaps') ? true : undefined), 15_000, 'watch request');
  watch.child.kill('SIGKILL');
  await watch.exited;
  await agentLog().waitForLog((l) => l.msg === 'the caller went away; cancelled the Kubernetes API request' && /configmaps\?.*watch=(1|true)/.test(String(l.path)), 15_000);
});

test('killing kubectl port-forward closes the connection at the pod\'s end', async () => {
  const closed: Promise<void>[] = [];
  const target = net.createServer((socket) => {
    closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  try {
    fx.sim.setPortTarget('default', 'web', 9090, { host: '127.0.0.1', port: (target.address() as net.AddressInfo).port });
    const pf = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/web', ':9090']);
    const port = await forwardedPort(pf);
    // Keep a client connection open through the forward, then kill kubectl.
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    client.write('ping');
    await new Promise<void>((resolve) => client.once('data', () => resolve()));
    assert.equal(closed.length, 1);
    pf.child.kill('SIGKILL');
    await pf.exited;
    await closed[0];
    client.destroy();
  } finally {
    target.close();
  }
});

test('a client that leaves during an exec handshake does not disturb the agent', async () => {
  const url = new URL(fx.server.url);
  for (let i = 0; i < 20; i++) {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: fx.server.caCert!, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.write(
      [
        'POST /-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods/web/exec?command=sleep&command=1&stdout=true HTTP/1.1',
        `Host: ${url.host}`,
        `Authorization: Bearer ci:${agentId}:${job.token}`,
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    // Leave at a different moment each time: before, during or after the upstream handshake.
    await new Promise((r) => setTimeout(r, i % 5));
    socket.destroy();
  }
  const r = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', 'still here'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'still here\n');
  assert.equal(agentLog().child.exitCode, null, 'the agent process is alive');
});

test('an idle watch stays open and still delivers events', async () => {
  fx.sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'before-idle', namespace: 'default' }, data: {} });
  const watch = spawnKubectl(job.kenv, [...CTX, 'get', 'secrets', '-n', 'default', '-w', '-o', 'name']);
  try {
    await watch.waitFor(/secret\/before-idle/, 15_000);
    // The timers on the path apply to response headers (60 s) and to idle keep-alive
    // connections, not to a stream that is open; 20 s idle outlasts the tunnel's heartbeat
    // interval (15 s) and any small timer someone might add.
    await new Promise((r) => setTimeout(r, 20_000));
    assert.equal(watch.child.exitCode, null, `watch ended: ${watch.stderr()}`);
    fx.sim.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'after-idle', namespace: 'default' }, data: {} });
    await watch.waitFor(/secret\/after-idle/, 15_000);
  } finally {
    await watch.stop();
  }
});

test('a stream nobody reads does not stall another stream', async () => {
  // A big backlog on `noisy`, fetched with follow=true by a client that reads one chunk and
  // then stops reading (its socket stays open): the proxy and the tunnel must hold it back
  // by flow control, not by stalling the tunnel connection.
  const line = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 256; i++) fx.sim.appendLog('default', 'noisy', line);
  const stuck = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = https.request(`${fx.server.url}/-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods/noisy/log?follow=true`, {
      ca: fx.server.caCert!,
      headers: { authorization: `Bearer ci:${agentId}:${job.token}` },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  try {
    assert.equal(stuck.statusCode, 200);
    await new Promise<void>((resolve) => stuck.once('data', () => resolve()));
    stuck.pause();
    // More output for the stuck reader while the other streams run.
    for (let i = 0; i < 256; i++) fx.sim.appendLog('default', 'noisy', line);

    const follow = spawnKubectl(job.kenv, [...CTX, 'logs', '-f', 'web', '-n', 'default']);
    try {
      for (let i = 0; i < 5; i++) {
        fx.sim.appendLog('default', 'web', `progress ${i}`);
        await follow.waitFor(new RegExp(`progress ${i}`), 15_000);
      }
    } finally {
      await follow.stop();
    }
    const pf = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/web', ':8080']);
    try {
      const payload = Buffer.alloc(1024 * 1024, 7);
      assert.ok((await echoRoundTrip(await forwardedPort(pf), payload)).equals(payload));
    } finally {
      await pf.stop();
    }
    const get = await kubectl(job.kenv, [...CTX, 'get', 'pods', '-n', 'default', '-o', 'name']);
    assert.equal(get.code, 0, get.stderr);
  } finally {
    stuck.destroy();
  }
});

test('a port-forward whose local client never reads does not stall other streams', async () => {
  const pf = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/noisy', ':8080']);
  const port = await forwardedPort(pf);
  // The echo server sends everything back to a client that never reads: the bytes pile up
  // until flow control holds the writer.
  const greedy = net.connect(port, '127.0.0.1');
  greedy.on('error', () => undefined);
  greedy.pause();
  const chunk = Buffer.alloc(1024 * 1024, 1);
  for (let i = 0; i < 32; i++) greedy.write(chunk);
  try {
    const follow = spawnKubectl(job.kenv, [...CTX, 'logs', '-f', 'web', '-n', 'default']);
    try {
      for (let i = 0; i < 5; i++) {
        fx.sim.appendLog('default', 'web', `still flowing ${i}`);
        await follow.waitFor(new RegExp(`still flowing ${i}`), 15_000);
      }
    } finally {
      await follow.stop();
    }
    const other = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/web', ':8080']);
    try {
      const payload = Buffer.alloc(512 * 1024, 9);
      assert.ok((await echoRoundTrip(await forwardedPort(other), payload)).equals(payload));
    } finally {
      await other.stop();
    }
  } finally {
    greedy.destroy();
    await pf.stop();
  }
});

test('every proxied request is audited; only administrators read the audit log', async () => {
  const j = await createJob(fx.server, 'acme/clusters');
  try {
    const steps = [
      ['get', 'pods', '-n', 'default'],
      ['get', 'pod', 'web', '-n', 'default'],
      ['create', 'configmap', 'audited', '-n', 'default', '--from-literal=a=b'],
      ['create', 'deployment', 'audited', '-n', 'default', '--image=nginx'],
      ['exec', 'web', '-n', 'default', '--', 'echo', 'audited'],
    ];
    for (const step of steps) {
      const r = await kubectl(j.kenv, [...CTX, ...step]);
      assert.equal(r.code, 0, `${step.join(' ')}: ${r.stderr}`);
    }
    const watch = spawnKubectl(j.kenv, [...CTX, 'get', 'configmaps', '-n', 'default', '-w']);
    await watch.waitFor(/audited/, 15_000);
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen-by-watch', namespace: 'default' }, data: {} });
    await watch.waitFor(/seen-by-watch/, 15_000);
    await watch.stop();
    const project = await ensureProject(fx.server, 'acme/clusters');
    const user = (await fx.server.api('GET', '/user')).body;

    const events = await (async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const list = await auditEvents(fx, `&job_id=${j.id}`);
        if (list.some((e) => e.verb === 'watch') || Date.now() > deadline) return list;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const find = (verb: string, resource: string, name = '') => {
      const e = events.find((x) => x.verb === verb && x.resource === resource && x.name === name && x.subresource === '');
      assert.ok(e, `no ${verb} ${resource} ${name} event in ${JSON.stringify(events.map((x) => [x.verb, x.resource, x.name]))}`);
      return e;
    };
    const list = find('list', 'pods');
    assert.equal(list.job, j.id);
    assert.equal(list.pipeline, j.body.pipeline.id);
    assert.deepEqual(list.project, { id: project.id, path: 'acme/clusters' });
    assert.deepEqual(list.user, { id: user.id, username: user.username });
    assert.deepEqual(list.agent, { id: agentId, name: 'prod' });
    assert.equal(list.api_group, '');
    assert.equal(list.namespace, 'default');
    assert.equal(list.status, 200);
    assert.ok(list.bytes_out > 0);
    assert.equal(typeof list.duration_ms, 'number');
    assert.ok(!Number.isNaN(Date.parse(list.time)));
    assert.equal(find('get', 'pods', 'web').status, 200);
    const created = find('create', 'configmaps');
    assert.equal(created.status, 201);
    assert.ok(created.bytes_in > 0);
    assert.equal(find('create', 'deployments').api_group, 'apps');
    // kubectl 1.32 execs over a WebSocket, a GET: Kubernetes' request info calls that `get`.
    const exec = events.find((x) => x.resource === 'pods' && x.subresource === 'exec');
    assert.equal(exec?.name, 'web');
    assert.equal(exec?.status, 101);
    assert.ok(exec.bytes_out > 0);
    const watched = find('watch', 'configmaps');
    assert.equal(watched.namespace, 'default');
    assert.ok(watched.bytes_out > 0);

    const member = await fx.server.api('POST', '/users', { username: 'auditor-wannabe', name: 'Not Admin', email: 'na@example.com' });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    const pat = await fx.server.api('POST', `/users/${member.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] });
    assert.equal(pat.status, 201, JSON.stringify(pat.body));
    const refused = await fx.server.api('GET', '/audit_events', undefined, pat.body.token);
    assert.equal(refused.status, 403);
    assert.equal((await fx.server.api('GET', '/audit_events', undefined, null)).status, 401);
  } finally {
    await j.kenv.cleanup();
  }
});

test('with two pods of the agent, stopping one leaves kubectl working through the other', async () => {
  const project = await ensureProject(fx.server, 'acme/clusters');
  const token = await fx.server.api('POST', `/projects/${project.id}/cluster_agents/${agentId}/tokens`, { name: 'second pod' });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  const second = await startAgent({ serverUrl: fx.server.url, token: token.body.token, sim: fx.sim, podName: 'prod-pod-2', caCertFile: fx.server.caCertFile! });
  fx.agents.push(second);
  await eventually(async () => {
    const r = await fx.server.api('GET', `/projects/${project.id}/cluster_agents/${agentId}`);
    return r.body.connections?.length === 2 ? true : undefined;
  }, 20_000, 'two pods connected');
  // Requests are spread over both pods; each one works.
  for (let i = 0; i < 4; i++) {
    const r = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', `pod round ${i}`], { timeoutMs: 30_000 });
    assert.equal(r.stdout, `pod round ${i}\n`, r.stderr);
  }
  await agentLog().stop();
  const r = await kubectl(job.kenv, [...CTX, 'get', 'pods', '-n', 'default', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pod\/web/);
  const exec = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', 'second pod'], { timeoutMs: 30_000 });
  assert.equal(exec.stdout, 'second pod\n', exec.stderr);
});
