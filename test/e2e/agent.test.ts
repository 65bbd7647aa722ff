/**
 * The agent end to end: registration, a token, the real `kubegate agent` process against
 * the Kubernetes API simulator, reconnects, several pods, and revocation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';

let sim: KubeApiSimulator;
const agents: AgentProcess[] = [];

before(async () => {
  sim = await startKubeApiServer();
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await sim.close();
});

async function registerAgent(server: TestServer, name: string) {
  const group = await server.api('POST', '/groups', { name: 'Ops', path: `ops-${name}` });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const project = await server.api('POST', '/projects', { name: 'clusters', namespace_id: group.body.id });
  assert.equal(project.status, 201, JSON.stringify(project.body));
  const agent = await server.api('POST', `/projects/${project.body.id}/cluster_agents`, { name });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const token = await server.api('POST', `/projects/${project.body.id}/cluster_agents/${agent.body.id}/tokens`, { name: 'first' });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  assert.match(token.body.token, /^kgagent-/);
  return { projectId: project.body.id as number, agentId: agent.body.id as number, tokenId: token.body.id as number, token: token.body.token as string };
}

function connections(server: TestServer, projectId: number, agentId: number) {
  return server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`).then((r) => {
    assert.equal(r.status, 200);
    return r.body.connections as Array<Record<string, string>>;
  });
}

test('an agent connects, reports itself, and comes back after a server restart', async () => {
  let server = await startTestServer();
  const { projectId, agentId, token } = await registerAgent(server, 'prod');
  const agent = await startAgent({ serverUrl: server.url, token, sim, podName: 'kubegate-agent-7f9c' });
  agents.push(agent);

  const [conn] = await eventually(async () => {
    const list = await connections(server, projectId, agentId);
    return list.length === 1 && list[0]!.kubernetes_version ? list : undefined;
  }, 20_000, 'agent connected');
  assert.equal(conn!.pod_name, 'kubegate-agent-7f9c');
  assert.equal(conn!.pod_namespace, 'gitlab-agent');
  const version = await server.api('GET', '/version');
  assert.equal(conn!.version, version.body.version);
  assert.match(conn!.kubernetes_version!, /^v1\.32\./);
  assert.ok(!Number.isNaN(Date.parse(conn!.connected_at!)));

  // Restart the server on the same port and data dir: the agent dials again by itself.
  const port = new URL(server.url).port;
  await server.stop();
  server = await startTestServer({ dataDir: server.dataDir, listen: `127.0.0.1:${port}` });
  try {
    await eventually(async () => ((await connections(server, projectId, agentId)).length === 1 ? true : undefined), 10_000, 'agent reconnected');
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('two agent processes with one token make two connections; revoking the token closes both', async () => {
  const server = await startTestServer();
  try {
    const { projectId, agentId, tokenId, token } = await registerAgent(server, 'staging');
    // One on each tunnel transport: HTTP/2 on the socket (the default) and WebSocket frames.
    const a = await startAgent({ serverUrl: server.url, token, sim, podName: 'pod-a' });
    const b = await startAgent({ serverUrl: server.url, token, sim, podName: 'pod-b', env: { KUBEGATE_TUNNEL_TRANSPORT: 'websocket' } });
    agents.push(a, b);
    const both = await eventually(async () => {
      const list = await connections(server, projectId, agentId);
      return list.length === 2 ? list : undefined;
    }, 20_000, 'two connections');
    assert.deepEqual(both.map((c) => c.pod_name).sort(), ['pod-a', 'pod-b']);
    assert.notEqual(both[0]!.connection_id, both[1]!.connection_id);
    // The API says which transport each connection runs on.
    assert.deepEqual(Object.fromEntries(both.map((c) => [c.pod_name, c.tunnel_transport])), { 'pod-a': 'h2', 'pod-b': 'websocket' });

    const tokenBefore = await server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}/tokens/${tokenId}`);
    assert.ok(tokenBefore.body.last_used_at, 'last_used_at is set once the token was used');

    const revoked = await server.api('DELETE', `/projects/${projectId}/cluster_agents/${agentId}/tokens/${tokenId}`);
    assert.equal(revoked.status, 204);
    await eventually(async () => ((await connections(server, projectId, agentId)).length === 0 ? true : undefined), 5_000, 'connections closed after revocation');
    assert.equal((await a.waitForLog((l) => l.msg === 'connected to the server')).transport, 'h2');
    assert.equal((await b.waitForLog((l) => l.msg === 'connected to the server')).transport, 'websocket');
    // Both learn why they were cut (GOAWAY data on h2, a close frame on WebSocket)…
    for (const agent of [a, b]) {
      await agent.waitForLog((l) => l.msg === 'tunnel connection closed: the server closed the connection: the agent token was revoked', 10_000);
    }
    // …and reconnect attempts are refused, and the agent's log says why.
    await a.waitForLog((l) => typeof l.msg === 'string' && /the agent token was revoked/.test(l.msg) && /cannot connect/.test(l.msg), 20_000);
    const after = await server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}/tokens/${tokenId}`);
    assert.equal(after.body.status, 'revoked');
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    await server.close();
  }
});

test('a WebSocket upgrade without a token, or with a malformed one, is refused with 401', async () => {
  const server = await startTestServer();
  try {
    const cases: Array<Record<string, string>> = [{}, { Authorization: 'Bearer not-a-token' }, { Authorization: 'Basic abc' }];
    for (const headers of cases) {
      const res = await rawUpgrade(server.url, headers);
      assert.match(res, /^HTTP\/1\.1 401/, `headers ${JSON.stringify(headers)}`);
    }
  } finally {
    await server.close();
  }
});

async function rawUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const { connect } = await import('node:net');
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      const lines = [
        'GET /-/kubernetes-agent/ HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('the agent reaches a TLS server with a private CA through an HTTP CONNECT proxy', async () => {
  const server = await startTestServer({ tls: true });
  const { createServer, connect } = await import('node:net');
  const tunnels: string[] = [];
  // A minimal CONNECT proxy, as corporate networks have.
  const proxy = createServer(function connectProxy(client) {
    client.once('data', (chunk: Buffer) => {
      const m = /^CONNECT ([^ ]+) HTTP\/1\.1/.exec(chunk.toString('latin1'));
      if (!m) return client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      tunnels.push(m[1]!);
      const [host, port] = m[1]!.split(':');
      const upstream = connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const proxyPort = (proxy.address() as { port: number }).port;
  try {
    const { projectId, agentId, token } = await registerAgent(server, 'behind-proxy');
    const agent = await startAgent({
      serverUrl: server.url,
      token,
      sim,
      caCertFile: server.caCertFile!,
      env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: 'example.invalid' },
    });
    agents.push(agent);
    await eventually(async () => ((await connections(server, projectId, agentId)).length === 1 ? true : undefined), 20_000, 'agent connected through the proxy');
    assert.deepEqual(tunnels, [`127.0.0.1:${new URL(server.url).port}`]);
    await agent.stop();
  } finally {
    proxy.close();
    await server.close();
  }
});

test('without the CA file, and a token that cannot get the CA proven, the agent refuses the server\'s certificate and says so', async () => {
  const server = await startTestServer({ tls: true });
  try {
    await registerAgent(server, 'no-ca');
    // A token the server does not know: it proves no CA for it (test/e2e/agent_tls.test.ts
    // has the agent that gets its server's CA proven).
    const agent = await startAgent({ serverUrl: server.url, token: 'kgagent-unknown-token-0123456789abcdef', sim });
    agents.push(agent);
    const line = await agent.waitForLog((l) => typeof l.msg === 'string' && /cannot connect/.test(l.msg));
    assert.match(line.msg, /certificate.*--kas-ca-cert-file/i);
    await agent.stop();
  } finally {
    await server.close();
  }
});

test('the agent serves liveness, readiness (connected or not) and metrics', async () => {
  const server = await startTestServer();
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  try {
    const { token } = await registerAgent(server, 'observed');
    const agent = await startAgent({ serverUrl: server.url, token, sim, extraArgs: ['--observability-listen', `127.0.0.1:${port}`] });
    agents.push(agent);
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${base}/readiness`)).status === 200 ? true : undefined), 20_000, 'agent ready');
    assert.equal((await fetch(`${base}/liveness`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /kubegate_agent_tunnel_connections 1/);
    // Without the server the agent stays alive but is no longer ready.
    await server.stop();
    await eventually(async () => ((await fetch(`${base}/readiness`)).status === 503 ? true : undefined), 20_000, 'agent not ready');
    assert.equal((await fetch(`${base}/liveness`)).status, 200);
    await agent.stop();
  } finally {
    await server.close();
  }
});
