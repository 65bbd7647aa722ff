/**
 * Which connections serve requests (issue 8, faults 7 and 8): only once HTTP/2 is up; not
 * while a ping goes unanswered (requests in flight move to another pod when that is
 * safe); and none that stays in a half-received frame past the frame timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser } from './frame_watch.js';
import { Liveness } from './server_liveness.js';
import { TunnelBusyError, TunnelRequestError } from './errors.js';
import { EMPTY_HTTP2_SETTINGS, bodyText, clientFrame, memoryLogger, rawTunnelClient, startRelay, startTestAgent, startTestServer, waitFor } from './testing.js';

test('FrameParser follows frame boundaries across chunks, with extended lengths and masks', () => {
  const parser = new FrameParser();
  const small = clientFrame(Buffer.alloc(10));
  const medium = clientFrame(Buffer.alloc(300));
  const large = clientFrame(Buffer.alloc(70_000));
  parser.push(Buffer.concat([small, medium]));
  assert.equal(parser.inFrame, false);
  assert.equal(parser.frameSeq, 2);
  parser.push(large.subarray(0, 5));
  assert.equal(parser.inFrame, true, 'in the middle of a header');
  parser.push(large.subarray(5, 20_000));
  assert.deepEqual([parser.inFrame, parser.payloadBytes], [true, 70_000]);
  parser.push(Buffer.concat([large.subarray(20_000), small.subarray(0, 1)]));
  assert.deepEqual([parser.inFrame, parser.frameSeq], [true, 4], 'the large frame ended, the next began');
  parser.push(small.subarray(1));
  assert.equal(parser.inFrame, false);
  const huge = clientFrame(Buffer.alloc(4), { declaredLength: 16 * 1024 * 1024 });
  parser.push(huge);
  assert.deepEqual([parser.inFrame, parser.payloadBytes, parser.receivedBytes], [true, 16 * 1024 * 1024, 4]);
});

test('Liveness: an unanswered ping makes the connection suspect, an answer brings it back; data without acks is stuck', async () => {
  const events: string[] = [];
  let ackNext: (() => void) | undefined;
  let bytes = 0;
  const liveness = new Liveness({
    intervalMs: 60_000,
    ackTimeoutMs: 30,
    probeIdleMs: 0,
    stuckTimeoutMs: 150,
    ping: (acked) => {
      ackNext = acked;
      return true;
    },
    bytesRead: () => bytes,
    onSuspect: () => events.push('suspect'),
    onAlive: () => events.push('alive'),
    onStuck: () => events.push('stuck'),
  });
  try {
    liveness.probe();
    await waitFor(() => events.length === 1, 'suspect');
    assert.deepEqual(events, ['suspect']);
    ackNext!();
    assert.deepEqual(events, ['suspect', 'alive']);
    // Bytes keep coming but the ack never does: in rotation for a while, then stuck.
    liveness.probe();
    const trickle = setInterval(() => bytes++, 5);
    await waitFor(() => events.includes('stuck'), 'stuck');
    clearInterval(trickle);
    assert.deepEqual(events, ['suspect', 'alive', 'stuck']);
  } finally {
    liveness.stop();
  }
});

test('a connection that completes the WebSocket handshake and stays silent never gets a request, and is closed', async () => {
  const log = memoryLogger();
  const server = await startTestServer({ logger: log.logger, establishTimeoutMs: 400, heartbeatIntervalMs: 60_000 });
  const agent = startTestAgent({ kasAddress: server.url, transport: 'websocket', handler: (_req, res) => res.end('from the real pod') });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the real pod');
    const silent = await rawTunnelClient(server.url, 'any-token');
    assert.equal(silent.status, 101);
    const answers = await Promise.all(Array.from({ length: 20 }, () => server.tunnel.request(1, { method: 'GET', path: '/' }).then((r) => bodyText(r.body))));
    assert.deepEqual(new Set(answers), new Set(['from the real pod']), 'every request went to the pod whose HTTP/2 is up');
    assert.equal(server.tunnel.connections(1).length, 1, 'the silent connection is not listed');
    await silent.closed;
    const closedLine = log.lines().find((l) => l.msg === 'agent connection closed before HTTP/2 started');
    assert.match(String(closedLine?.reason), /^the agent did not start HTTP\/2 within 0\.4 s/);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('a frozen pod is out of rotation at once: GETs waiting on it go to the other pod, a POST fails at once', async () => {
  const server = await startTestServer({ heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000, pingAckTimeoutMs: 200, probeIdleMs: 0 });
  const relay = await startRelay(server.port);
  const pod = (name: string) => (_req: unknown, res: { end(body: string): void }) => setTimeout(() => res.end(name), 20);
  const frozen = startTestAgent({ kasAddress: `ws://127.0.0.1:${relay.port}/-/kubernetes-agent/`, transport: 'websocket', handler: pod('pod-a') as never, info: { version: 'v1', commit: 'c', podName: 'pod-a', podNamespace: 'ns', kubernetesVersion: '' } });
  const healthy = startTestAgent({ kasAddress: server.url, transport: 'websocket', handler: pod('pod-b') as never, info: { version: 'v1', commit: 'c', podName: 'pod-b', podNamespace: 'ns', kubernetesVersion: '' } });
  try {
    await waitFor(() => server.tunnel.connections(1).length === 2, 'both pods');
    relay.freeze();
    // Two at once: the least-loaded rule sends one to each pod.
    const [postA, postB] = [0, 1].map(() => server.tunnel.request(1, { method: 'POST', path: '/x', body: 'payload' }).then((r) => bodyText(r.body)));
    const posts = await Promise.allSettled([postA!, postB!]);
    const fulfilled = posts.filter((p) => p.status === 'fulfilled').map((p) => (p as PromiseFulfilledResult<string>).value);
    const rejected = posts.filter((p) => p.status === 'rejected').map((p) => (p as PromiseRejectedResult).reason as unknown);
    assert.deepEqual(fulfilled, ['pod-b']);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0] instanceof TunnelRequestError);
    assert.match((rejected[0] as Error).message, /pod pod-a stopped answering before it answered this request; it may or may not have been applied/);
    // The frozen pod is out of rotation now; and GETs sent while it still looked alive are retried.
    const gets = await Promise.all(Array.from({ length: 10 }, () => server.tunnel.request(1, { method: 'GET', path: '/y' }).then((r) => bodyText(r.body))));
    assert.deepEqual(new Set(gets), new Set(['pod-b']));
  } finally {
    await healthy.stop();
    await frozen.stop();
    await relay.close();
    await server.close();
  }
});

test('a GET already waiting on a pod that freezes is answered by the other pod', async () => {
  // No probe on use here: the periodic ping alone must find out.
  const server = await startTestServer({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 120_000, pingAckTimeoutMs: 200, probeIdleMs: 60_000 });
  const relay = await startRelay(server.port);
  let reachedA: () => void = () => undefined;
  const atA = new Promise<void>((resolve) => (reachedA = resolve));
  const frozen = startTestAgent({
    kasAddress: `ws://127.0.0.1:${relay.port}/-/kubernetes-agent/`,
    transport: 'websocket',
    handler: () => reachedA(), // never answers
    info: { version: 'v1', commit: 'c', podName: 'pod-a', podNamespace: 'ns', kubernetesVersion: '' },
  });
  try {
    await waitFor(() => server.tunnel.connections(1).length === 1, 'pod a');
    const pending = server.tunnel.request(1, { method: 'GET', path: '/slow' }).then((r) => bodyText(r.body));
    await atA;
    const healthy = startTestAgent({ kasAddress: server.url, transport: 'websocket', handler: (_req, res) => res.end('pod-b'), info: { version: 'v1', commit: 'c', podName: 'pod-b', podNamespace: 'ns', kubernetesVersion: '' } });
    try {
      await waitFor(() => server.tunnel.connections(1).length === 2, 'pod b');
      relay.freeze();
      // The next ping goes unanswered: pod a is suspect, the GET moves.
      assert.equal(await pending, 'pod-b');
    } finally {
      await healthy.stop();
    }
  } finally {
    await frozen.stop();
    await relay.close();
    await server.close();
  }
});

test('a WebSocket frame left half-sent closes the connection after the frame timeout, not the heartbeat timeout', async () => {
  const log = memoryLogger();
  const reasons: string[] = [];
  const server = await startTestServer({ logger: log.logger, frameTimeoutMs: 300, heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000 });
  server.tunnel.on('disconnect', (_c, reason) => reasons.push(reason));
  try {
    const peer = await rawTunnelClient(server.url, 'any-token');
    assert.equal(peer.status, 101);
    // HTTP/2 starts (the agent's SETTINGS): the connection is in rotation…
    peer.socket.write(clientFrame(EMPTY_HTTP2_SETTINGS));
    await waitFor(() => server.tunnel.connections(1).length === 1, 'the connection to be established');
    // …then a frame header claiming 16 MiB, ten bytes of it, and nothing more.
    const frame = clientFrame(Buffer.alloc(10), { declaredLength: 16 * 1024 * 1024 });
    peer.socket.write(frame);
    await peer.closed;
    assert.deepEqual(reasons, ['the agent left a WebSocket frame half-sent for 0.3 s (10 of 16777216 bytes arrived)']);
    assert.equal(server.tunnel.connections(1).length, 0);
  } finally {
    await server.close();
  }
});

test('a request past every connection\'s stream limit gets a prompt 503 instead of waiting in HTTP/2\'s queue', async () => {
  const server = await startTestServer({ heartbeatIntervalMs: 60_000 });
  try {
    const peer = await rawTunnelClient(server.url, 'any-token');
    // SETTINGS: MAX_CONCURRENT_STREAMS (0x3) = 1.
    peer.socket.write(clientFrame(Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1])));
    await waitFor(() => server.tunnel.connections(1).length === 1, 'the connection');
    const first = server.tunnel.request(1, { method: 'GET', path: '/never-answered' });
    first.catch(() => undefined);
    await assert.rejects(server.tunnel.request(1, { method: 'GET', path: '/second' }), (err: unknown) => {
      assert.ok(err instanceof TunnelBusyError, String(err));
      assert.equal(err.status, 503);
      assert.match(err.message, /its 1 connected pod\(s\) each carry their maximum of 1 concurrent requests/);
      return true;
    });
    assert.equal(server.tunnel.isConnected(1), true, 'busy is still connected');
    peer.socket.destroy();
  } finally {
    await server.close();
  }
});
