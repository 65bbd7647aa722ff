/**
 * The negotiated transport: an agent offers `kubegate-tunnel-h2` in its WebSocket
 * handshake; a server that selects it runs HTTP/2 directly on the socket, otherwise
 * HTTP/2 travels in WebSocket frames as it always did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket, { createWebSocketStream } from 'ws';
import { memoryLogger, startFrameCheckingRelay, startTestAgent, startTestServer, TRANSPORT_CASES, waitFor, bodyText, testEachTransport } from './testing.js';
import { TUNNEL_H2_SUBPROTOCOL, webSocketAccept } from './shared.js';

/** The agent's "connected to the server" lines: what the agent saw, not the server. */
function agentConnected(log: ReturnType<typeof memoryLogger>): Array<Record<string, unknown>> {
  return log.lines().filter((l) => l.msg === 'connected to the server');
}

const FALLBACK_WARNING = /using WebSocket frames from now on\. Set --tunnel-transport websocket \(KUBEGATE_TUNNEL_TRANSPORT=websocket\)/;

test('the server selects kubegate-tunnel-h2 when it is offered, and HTTP/2 then runs on the socket itself', async () => {
  const server = await startTestServer();
  const key = randomBytes(16).toString('base64');
  const upgraded = await new Promise<{ res: http.IncomingMessage; socket: net.Socket; head: Buffer }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      path: '/-/kubernetes-agent/',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': key,
        'sec-websocket-protocol': `other, ${TUNNEL_H2_SUBPROTOCOL}`,
        authorization: 'Bearer t',
      },
    });
    req.on('upgrade', (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => resolve({ res, socket, head }));
    req.on('response', (res) => reject(new Error(`answered ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  // An HTTP/2 server right on the socket: no WebSocket framing at all.
  const agentSide = http2.createServer((_req, res) => res.end('raw agent'));
  try {
    assert.equal(upgraded.res.statusCode, 101);
    assert.equal(upgraded.res.headers['sec-websocket-protocol'], TUNNEL_H2_SUBPROTOCOL);
    assert.equal(upgraded.res.headers['sec-websocket-accept'], webSocketAccept(key));
    if (upgraded.head.length) upgraded.socket.unshift(upgraded.head);
    agentSide.emit('connection', upgraded.socket);
    await waitFor(() => server.tunnel.isConnected(1), 'the raw connection');
    assert.equal(server.tunnel.connections(1)[0]!.transport, 'h2');
    const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'raw agent');
  } finally {
    upgraded.socket.destroy();
    await server.close();
  }
});

test('a plain ws client that offers no subprotocol still runs HTTP/2 inside WebSocket frames', async () => {
  const server = await startTestServer();
  const ws = new WebSocket(server.url, { headers: { authorization: 'Bearer t' }, perMessageDeflate: false });
  const agentSide = http2.createServer((_req, res) => res.end('framed agent'));
  ws.on('open', () => agentSide.emit('connection', createWebSocketStream(ws)));
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the framed connection');
    assert.equal(ws.protocol, '');
    assert.equal(server.tunnel.connections(1)[0]!.transport, 'websocket');
    const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'framed agent');
  } finally {
    ws.terminate();
    await server.close();
  }
});

test('the agent offers the subprotocol in auto mode only; a server that declines it gets frames at the first dial', async () => {
  for (const transport of TRANSPORT_CASES) {
    const server = await startTestServer(transport.server);
    const offered: Array<string | undefined> = [];
    server.http.on('upgrade', (req: http.IncomingMessage) => offered.push(req.headers['sec-websocket-protocol']));
    const log = memoryLogger();
    const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, logger: log.logger });
    try {
      // Both ends, each in its own time: the server registers the connection when it has
      // written its 101, the agent logs it when it has read that 101 (later, under load).
      await waitFor(() => server.tunnel.isConnected(1), `the connection on the server (${transport.name})`);
      await waitFor(() => agentConnected(log).length > 0, `the connection on the agent (${transport.name})`);
      assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected, transport.name);
      assert.deepEqual(offered, [transport.agent.transport === 'websocket' ? undefined : TUNNEL_H2_SUBPROTOCOL], transport.name);
      assert.deepEqual(agentConnected(log).map((l) => l.transport), [transport.expected], transport.name);
      assert.doesNotMatch(log.text(), FALLBACK_WARNING, transport.name);
      const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
      assert.equal(await bodyText(res.body), 'ok');
    } finally {
      await agent.stop();
      await server.close();
    }
  }
});

test('after two raw sessions in a row fail before the server\'s SETTINGS, the agent warns once and uses WebSocket frames from then on', async () => {
  const server = await startTestServer();
  const relay = await startFrameCheckingRelay(server.port);
  const log = memoryLogger();
  const agent = startTestAgent({ kasAddress: `ws://127.0.0.1:${relay.port}/-/kubernetes-agent/`, logger: log.logger, minBackoffMs: 10, maxBackoffMs: 20 });
  try {
    await waitFor(() => server.tunnel.connections(1).some((c) => c.transport === 'websocket'), 'a framed connection through the relay');
    assert.equal(relay.cut(), 2, 'the relay cut both raw attempts');
    const warnings = log.lines().filter((l) => FALLBACK_WARNING.test(String(l.msg)));
    assert.equal(warnings.length, 1, log.text());
    assert.equal(warnings[0]!.level, 40);
    const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'ok');

    // The next dials do not try raw again.
    server.tunnel.closeAgentConnections(1);
    await waitFor(() => log.lines().filter((l) => l.msg === 'connected to the server').length === 4, 'the reconnection');
    await waitFor(() => server.tunnel.isConnected(1), 'the reconnection on the server');
    assert.deepEqual(
      log.lines().filter((l) => l.msg === 'connected to the server').map((l) => l.transport),
      ['h2', 'h2', 'websocket', 'websocket'],
    );
    assert.equal(server.tunnel.connections(1)[0]!.transport, 'websocket');
    assert.equal(relay.cut(), 2);
    assert.equal(log.lines().filter((l) => FALLBACK_WARNING.test(String(l.msg))).length, 1);
  } finally {
    await agent.stop();
    await relay.close();
    await server.close();
  }
});

test('one raw session that fails before the server\'s SETTINGS (the server went away after its 101) is no reason to fall back', async () => {
  const server = await startTestServer();
  const relay = await startFrameCheckingRelay(server.port, { maxCuts: 1 });
  const log = memoryLogger();
  const agent = startTestAgent({ kasAddress: `ws://127.0.0.1:${relay.port}/-/kubernetes-agent/`, logger: log.logger, minBackoffMs: 10, maxBackoffMs: 20 });
  try {
    await waitFor(() => server.tunnel.connections(1).some((c) => c.transport === 'h2'), 'a raw connection after the failed one');
    await waitFor(() => agentConnected(log).length === 2, 'the second connection on the agent');
    assert.equal(relay.cut(), 1);
    assert.equal(await bodyText((await server.tunnel.request(1, { method: 'GET', path: '/' })).body), 'ok');
    assert.deepEqual(log.lines().filter((l) => l.msg === 'connected to the server').map((l) => l.transport), ['h2', 'h2']);
    assert.doesNotMatch(log.text(), FALLBACK_WARNING);
    assert.match(log.text(), /trying HTTP\/2 on the socket once more/);
  } finally {
    await agent.stop();
    await relay.close();
    await server.close();
  }
});

test('a raw connection that ends after the server\'s SETTINGS is no reason to fall back', async () => {
  const server = await startTestServer();
  const log = memoryLogger();
  const agent = startTestAgent({ kasAddress: server.url, logger: log.logger, minBackoffMs: 10, maxBackoffMs: 20 });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the connection');
    // The server's SETTINGS have arrived once a request went through.
    await bodyText((await server.tunnel.request(1, { method: 'GET', path: '/' })).body);
    server.tunnel.closeAgentConnections(1);
    await waitFor(() => log.lines().filter((l) => l.msg === 'connected to the server').length === 2, 'the reconnection');
    await waitFor(() => server.tunnel.isConnected(1), 'the reconnection on the server');
    assert.equal(server.tunnel.connections(1)[0]!.transport, 'h2');
    assert.doesNotMatch(log.text(), FALLBACK_WARNING);
  } finally {
    await agent.stop();
    await server.close();
  }
});

testEachTransport('a proxy that refuses CONNECT is named in the agent\'s log', async (transport) => {
  const proxy = http.createServer();
  proxy.on('connect', (_req: http.IncomingMessage, socket: net.Socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://user:secret@127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const log = memoryLogger();
  const agent = startTestAgent({ ...transport.agent, kasAddress: 'ws://kas.invalid/-/kubernetes-agent/', proxy: proxyUrl, logger: log.logger });
  try {
    await waitFor(() => /cannot connect to the server: the HTTP proxy http:\/\/127\.0\.0\.1:\d+ refused to connect: 403 Forbidden/.test(log.text()), 'the refusal in the log');
    assert.ok(!log.text().includes('secret'), 'the proxy password is never logged');
  } finally {
    await agent.stop();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

testEachTransport('a server that never answers the handshake times out with the dial timeout', async (transport) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const log = memoryLogger();
  const agent = startTestAgent({ ...transport.agent, kasAddress: `ws://127.0.0.1:${port}/-/kubernetes-agent/`, dialTimeoutMs: 100, logger: log.logger });
  try {
    await waitFor(() => log.text().includes(`cannot connect to the server: connection to 127.0.0.1:${port} timed out`), 'the timeout in the log');
  } finally {
    await agent.stop();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
