// Wire-level checks kubectl cannot show: the v4 WebSocket exec protocol,
// the filter chain on upgrade requests, and service proxy / TokenRequest.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startKubeApiServer, type KubeApiSimulator } from './index.js';

function execUrl(sim: KubeApiSimulator, query: string): string {
  return `${sim.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/box/exec?${query}`;
}

interface Frames {
  channels: Map<number, Buffer>;
  protocol: string;
  closeCode: number;
}

function runWs(sim: KubeApiSimulator, url: string, protocol: string, token: string, send: Buffer[] = []): Promise<Frames> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol], { ca: sim.caCert, headers: { Authorization: `Bearer ${token}` } });
    const channels = new Map<number, Buffer>();
    ws.on('open', () => send.forEach((m) => ws.send(m)));
    ws.on('message', (data: Buffer) => {
      const ch = data[0]!;
      channels.set(ch, Buffer.concat([channels.get(ch) ?? Buffer.alloc(0), data.subarray(1)]));
    });
    ws.on('close', (code) => resolve({ channels, protocol: ws.protocol, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.on('error', reject);
  });
}

describe('kube-apiserver simulator: protocols', () => {
  let sim: KubeApiSimulator;
  let backend: Server;

  before(async () => {
    sim = await startKubeApiServer({ podLogIntervalMs: 60_000 });
    sim.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', 'infinity'] }] } });
    await sim.waitForPodRunning('default', 'box');
    backend = createServer((req, res) => res.end(`backend saw ${req.method} ${req.url} auth=${req.headers.authorization ?? 'none'}`));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await sim.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  it('speaks v4.channel.k8s.io: output channels then a Status on channel 3', async () => {
    const ok = await runWs(sim, execUrl(sim, 'command=echo&command=hi&stdout=true&stderr=true'), 'v4.channel.k8s.io', sim.adminToken);
    assert.equal(ok.protocol, 'v4.channel.k8s.io');
    assert.equal(ok.channels.get(1)?.toString(), 'hi\n');
    assert.deepEqual(JSON.parse(ok.channels.get(3)!.toString()), { metadata: {}, status: 'Success' });

    const failed = await runWs(sim, execUrl(sim, 'command=sh&command=-c&command=exit%205&stdout=true'), 'v4.channel.k8s.io', sim.adminToken);
    const status = JSON.parse(failed.channels.get(3)!.toString()) as { reason: string; details: { causes: { reason: string; message: string }[] } };
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '5' }]);
  });

  it('v5 stdin close (255,0) ends the process stdin', async () => {
    const r = await runWs(sim, execUrl(sim, 'command=cat&stdin=true&stdout=true'), 'v5.channel.k8s.io', sim.adminToken, [
      Buffer.concat([Buffer.from([0]), Buffer.from('piped')]),
      Buffer.from([255, 0]),
    ]);
    assert.equal(r.channels.get(1)?.toString(), 'piped');
    assert.equal(JSON.parse(r.channels.get(3)!.toString()).status, 'Success');
  });

  it('applies authentication and RBAC (create pods/exec) to upgrade requests', async () => {
    await assert.rejects(runWs(sim, execUrl(sim, 'command=true&stdout=true'), 'v5.channel.k8s.io', 'bogus'), { status: 401 });
    sim.addToken('viewer', { username: 'viewer' });
    sim.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'viewer' }],
    });
    const err = (await runWs(sim, execUrl(sim, 'command=true&stdout=true'), 'v5.channel.k8s.io', 'viewer').catch((e: unknown) => e)) as { status: number; body: string };
    assert.equal(err.status, 403);
    assert.match(JSON.parse(err.body).message, /pods "box" is forbidden: User "viewer" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
  });

  it('proxies services/<name>/proxy to the registered target without the caller credentials', async () => {
    sim.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'webhook-receiver', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    const port = (backend.address() as { port: number }).port;
    sim.setServiceTarget('default', 'webhook-receiver', { host: '127.0.0.1', port });
    const res = await fetchJson(sim, '/api/v1/namespaces/default/services/webhook-receiver:80/proxy/hook/abc?x=1', 'POST');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'backend saw POST /hook/abc?x=1 auth=none');
    const missing = await fetchJson(sim, '/api/v1/namespaces/default/services/kubernetes/proxy/', 'GET');
    assert.equal(missing.status, 503);
  });

  it('issues ServiceAccount tokens through TokenRequest', async () => {
    const res = await fetchJson(sim, '/api/v1/namespaces/default/serviceaccounts/default/token', 'POST', '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}');
    assert.equal(res.status, 201);
    const token = (JSON.parse(res.text) as { status: { token: string } }).status.token;
    assert.equal(sim.userForToken(token)?.username, 'system:serviceaccount:default:default');
  });
});

async function fetchJson(sim: KubeApiSimulator, path: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { method, ca: sim.caCert, headers: { Authorization: `Bearer ${sim.adminToken}`, 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
