import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { KubegateError } from '../../lib/errors.js';
import { serveAcceptedTunnel } from './agent.js';
import { pino } from 'pino';
import { memoryLogger, startRelay, startTestAgent, startTestServer, waitFor, bodyText, testEachTransport } from './testing.js';
import { TunnelRequestError, type AgentIdentity, type ConnectionInfo } from './server.js';
import type { AgentInfo } from './agent.js';


const info = (podName: string): AgentInfo => ({
  version: 'v1.2.3',
  commit: 'deadbeef',
  podName,
  podNamespace: 'gitlab-agent',
  kubernetesVersion: 'v1.32.1',
});


/** Token → identity, as the store would answer; `revoked` tokens answer null. */
function tokenTable(table: Record<string, AgentIdentity>, revoked = new Set<string>()) {
  const calls: string[] = [];
  return {
    calls,
    revoked,
    authenticate: async (token: string) => {
      calls.push(token);
      return revoked.has(token) ? null : (table[token] ?? null);
    },
  };
}

test('several pods of one agent connect; requests are spread over them', async () => {
  const server = await startTestServer();
  const pods = ['pod-a', 'pod-b'].map((pod) =>
    startTestAgent({ kasAddress: server.url, info: info(pod), handler: (_req, res) => res.end(pod) }),
  );
  try {
    await waitFor(() => server.tunnel.connections(1).length === 2, 'two connections');
    const listed = server.tunnel.connections(1);
    assert.deepEqual(listed.map((c) => c.podName).sort(), ['pod-a', 'pod-b']);
    for (const c of listed) {
      assert.equal(c.agentId, 1);
      assert.equal(c.tokenId, 1);
      assert.equal(c.version, 'v1.2.3');
      assert.equal(c.commit, 'deadbeef');
      assert.equal(c.podNamespace, 'gitlab-agent');
      assert.equal(c.kubernetesVersion, 'v1.32.1');
      assert.ok(c.connectedAt instanceof Date);
      assert.ok(Number.isSafeInteger(c.connectionId) && c.connectionId > 0);
    }
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
      seen.add(await bodyText(res.body));
    }
    assert.deepEqual([...seen].sort(), ['pod-a', 'pod-b']);

    const pinned = listed.find((c) => c.podName === 'pod-b')!;
    const res = await server.tunnel.request(1, { method: 'GET', path: '/', connectionId: pinned.connectionId });
    assert.equal(await bodyText(res.body), 'pod-b');
  } finally {
    await Promise.all(pods.map((p) => p.stop()));
    await server.close();
  }
});

testEachTransport('closeTokenConnections drops only that token\'s connections; a revoked token is refused', async (transport) => {
  const tokens = tokenTable({ old: { agentId: 7, tokenId: 70 }, new: { agentId: 7, tokenId: 71 } });
  const server = await startTestServer({ ...transport.server, authenticate: tokens.authenticate });
  const disconnects: Array<[ConnectionInfo, string]> = [];
  server.tunnel.on('disconnect', (c, reason) => disconnects.push([c, reason]));
  const agentLog = memoryLogger();
  const oldAgent = startTestAgent({ ...transport.agent, kasAddress: server.url, token: 'old', info: info('old'), logger: agentLog.logger });
  const newAgent = startTestAgent({ ...transport.agent, kasAddress: server.url, token: 'new', info: info('new') });
  try {
    await waitFor(() => server.tunnel.connections(7).length === 2, 'both tokens connected');
    assert.deepEqual(server.tunnel.connections(7).map((c) => c.transport), [transport.expected, transport.expected]);
    tokens.revoked.add('old');
    assert.equal(server.tunnel.closeTokenConnections(70), 1);
    await waitFor(() => disconnects.length === 1, 'the disconnect event');
    assert.equal(disconnects[0]![0].tokenId, 70);
    assert.match(disconnects[0]![1], /revoked/);
    assert.deepEqual(server.tunnel.connections(7).map((c) => c.tokenId), [71]);
    // The agent learns why (a close frame, or the GOAWAY's data on h2), then its reconnects are refused.
    await waitFor(() => /the agent token was rejected/.test(agentLog.text()), 'the agent to log the 401');
    assert.ok(
      agentLog.lines().some((l) => l.msg === 'tunnel connection closed: the server closed the connection: the agent token was revoked'),
      agentLog.text(),
    );
    assert.deepEqual(server.tunnel.connections(7).map((c) => c.tokenId), [71]);
  } finally {
    await Promise.all([oldAgent.stop(), newAgent.stop()]);
    await server.close();
  }
});

testEachTransport('closeAgentConnections drops every pod of the agent', async (transport) => {
  const server = await startTestServer(transport.server);
  const log = memoryLogger();
  const pods = ['a', 'b'].map((pod) =>
    startTestAgent({ ...transport.agent, kasAddress: server.url, info: info(pod), logger: log.logger, minBackoffMs: 60_000, maxBackoffMs: 60_000 }),
  );
  try {
    await waitFor(() => server.tunnel.connections(1).length === 2, 'two connections');
    assert.equal(server.tunnel.closeAgentConnections(1), 2);
    assert.equal(server.tunnel.connections(1).length, 0);
    assert.equal(server.tunnel.isConnected(1), false);
    const closed = (): number => log.lines().filter((l) => l.msg === 'tunnel connection closed: the server closed the connection: the agent was deleted').length;
    await waitFor(() => closed() === 2, 'both pods to log why');
  } finally {
    await Promise.all(pods.map((p) => p.stop()));
    await server.close();
  }
});

test('a bad token gets 401 with a clear body; the agent logs why and retries with backoff', async () => {
  const tokens = tokenTable({});
  const server = await startTestServer({ authenticate: tokens.authenticate });
  const log = memoryLogger();
  const agent = startTestAgent({ kasAddress: server.url, token: 'glagent-wrong', logger: log.logger, minBackoffMs: 10, maxBackoffMs: 40 });
  try {
    await waitFor(() => tokens.calls.length >= 3, 'three attempts');
    const failures = log.lines().filter((l) => String(l.msg).startsWith('cannot connect'));
    assert.ok(failures.length >= 2);
    assert.match(String(failures[0]!.msg), /the agent token was rejected \(401\): it is revoked or wrong; create a new token/);
    assert.equal(failures[0]!.status, 401);
    assert.ok(log.lines().some((l) => /reconnecting in/.test(String(l.msg))));
    assert.ok(!log.text().includes('glagent-wrong'), 'the token is never logged');

    const answer = await rawUpgrade(server.port, 'Bearer nope');
    assert.equal(answer.status, 401);
    assert.match(answer.body, /the agent token was rejected: it is revoked or wrong/);
    const missing = await rawUpgrade(server.port, undefined);
    assert.equal(missing.status, 401);
    assert.match(missing.body, /no agent token/);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('a failing token check answers 503, not 401', async () => {
  const server = await startTestServer({
    authenticate: async () => {
      throw new KubegateError('unavailable', 'database is down');
    },
  });
  try {
    const answer = await rawUpgrade(server.port, 'Bearer some-token');
    assert.equal(answer.status, 503);
    assert.match(answer.body, /could not check the agent token/);
  } finally {
    await server.close();
  }
});

test('receptive direction: the server dials the agent and adopts the socket', async () => {
  const server = await startTestServer();
  const agentSide = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(agentSide, 'listening');
  const stop = new AbortController();
  agentSide.on('connection', (ws) => {
    void serveAcceptedTunnel(ws, { handler: (_req, res) => res.end('receptive'), info: info('recv'), logger: pino({ level: 'silent' }) }, stop.signal);
  });
  const ws = new WebSocket(`ws://127.0.0.1:${(agentSide.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  ws.on('open', () => server.tunnel.adopt(ws, { agentId: 5, tokenId: 0 }, info('recv')));
  try {
    await waitFor(() => server.tunnel.isConnected(5), 'the adopted connection');
    const res = await server.tunnel.request(5, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'receptive');
    assert.equal(server.tunnel.connections(5)[0]!.podName, 'recv');
  } finally {
    stop.abort();
    await waitFor(() => !server.tunnel.isConnected(5), 'the adopted connection to close');
    agentSide.close();
    await server.close();
  }
});

testEachTransport('a request in flight fails with a typed error when the agent goes away', async (transport) => {
  const server = await startTestServer(transport.server);
  const agent = startTestAgent({
    ...transport.agent,
    kasAddress: server.url,
    shutdownGraceMs: 0,
    handler: () => {
      // Never answers: the pod goes away first.
      void agent.stop();
    },
  });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the connection');
    await assert.rejects(server.tunnel.request(1, { method: 'GET', path: '/' }), (err: unknown) => {
      assert.ok(err instanceof TunnelRequestError, String(err));
      assert.equal(err.status, 503);
      return true;
    });
  } finally {
    await agent.stop();
    await server.close();
  }
});

testEachTransport('the agent reconnects after the server restarts', async (transport) => {
  let server = await startTestServer(transport.server);
  const port = server.port;
  const log = memoryLogger();
  const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, logger: log.logger });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the first connection');
    await server.close();
    await waitFor(
      () => log.lines().some((l) => l.msg === 'tunnel connection closed: the server is going away: the server is shutting down'),
      'the agent to log the shutdown',
    );
    server = await startTestServer({ ...transport.server, port });
    await waitFor(() => server.tunnel.isConnected(1), 'the reconnection');
    const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'ok');
  } finally {
    await agent.stop();
    await server.close();
  }
});

testEachTransport('a connection that misses heartbeats is dropped on both sides', async (transport) => {
  const server = await startTestServer({ ...transport.server, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 200 });
  const relay = await startRelay(server.port);
  const log = memoryLogger();
  const reasons: string[] = [];
  server.tunnel.on('disconnect', (_c, reason) => reasons.push(reason));
  let agentConnected = 0;
  const agent = startTestAgent({
    ...transport.agent,
    kasAddress: `ws://127.0.0.1:${relay.port}/-/kubernetes-agent/`,
    heartbeatIntervalMs: 20,
    heartbeatTimeoutMs: 200,
    logger: log.logger,
    onConnected: () => agentConnected++,
  });
  try {
    // Both ends must be up: a freeze during the handshake would test the dial timeout.
    await waitFor(() => server.tunnel.isConnected(1) && agentConnected === 1, 'the connection');
    assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected);
    relay.freeze();
    await waitFor(() => reasons.length === 1, 'the server to drop the connection');
    assert.match(reasons[0]!, /missed its heartbeats/);
    await waitFor(() => /the server missed its heartbeats/.test(log.text()), 'the agent to drop the connection').catch((err: unknown) => {
      throw new Error(`${String(err)}; agent log: ${log.text()}`);
    });
    relay.thaw();
    await waitFor(() => server.tunnel.isConnected(1), 'the reconnection');
  } finally {
    await agent.stop();
    await relay.close();
    await server.close();
  }
});

testEachTransport('an idle connection whose peer answers heartbeats outlives many timeouts', async (transport) => {
  const server = await startTestServer({ ...transport.server, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 100 });
  const reasons: string[] = [];
  server.tunnel.on('disconnect', (_c, reason) => reasons.push(reason));
  let agentConnected = 0;
  const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 100, onConnected: () => agentConnected++ });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the connection');
    const before = server.tunnel.connections(1)[0]!;
    assert.equal(before.transport, transport.expected);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(reasons, []);
    assert.equal(agentConnected, 1);
    const after = server.tunnel.connections(1)[0]!;
    assert.equal(after.connectionId, before.connectionId);
    assert.ok(after.lastSeenAt.getTime() - before.connectedAt.getTime() >= 400, 'heartbeat answers move lastSeenAt');
  } finally {
    await agent.stop();
    await server.close();
  }
});

testEachTransport('agent info is refreshed while connected', async (transport) => {
  const server = await startTestServer({ ...transport.server, agentInfoRefreshMs: 20 });
  let kubernetesVersion = '';
  const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, info: () => ({ ...info('p'), kubernetesVersion }) });
  const updates: ConnectionInfo[] = [];
  server.tunnel.on('update', (c) => updates.push(c));
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the connection');
    assert.equal(server.tunnel.connections(1)[0]!.kubernetesVersion, '');
    kubernetesVersion = 'v1.33.0';
    await waitFor(() => updates.length > 0, 'an update event');
    assert.equal(updates[0]!.kubernetesVersion, 'v1.33.0');
    assert.equal(server.tunnel.connections(1)[0]!.kubernetesVersion, 'v1.33.0');
  } finally {
    await agent.stop();
    await server.close();
  }
});

testEachTransport('connect and disconnect events carry the connection', async (transport) => {
  const server = await startTestServer(transport.server);
  const events: string[] = [];
  server.tunnel.on('connect', (c) => events.push(`connect ${c.podName}`));
  server.tunnel.on('disconnect', (c, reason) => events.push(`disconnect ${c.podName} ${reason}`));
  const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, info: info('p1') });
  await waitFor(() => events.length === 1, 'the connect event');
  await agent.stop();
  await waitFor(() => events.length === 2, 'the disconnect event');
  assert.equal(events[0], 'connect p1');
  assert.match(events[1]!, /^disconnect p1 /);
  await server.close();
});

/** An upgrade request as an agent would send it; resolves with the refusal. */
function rawUpgrade(port: number, authorization: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/-/kubernetes-agent/',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        ...(authorization ? { authorization } : {}),
      },
    });
    req.on('response', (res) => {
      bodyText(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}
