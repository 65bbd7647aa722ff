// port-forward with the real kubectl: the WebSocket tunnel kubectl 1.32
// uses by default, and plain SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false).

import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { spawnKubectl } from './testing/kubectl.js';
import { startFixture, type SimFixture } from './testing/fixture.js';

function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      if (received >= payload.length) socket.end();
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

describe('kube-apiserver simulator: port-forward', () => {
  let f: SimFixture;
  let upstream: Server;
  let upstreamPort = 0;

  before(async () => {
    f = await startFixture({ podLogIntervalMs: 60_000 });
    assert.equal((await f.k(['run', 'web', '--image=nginx', '--port=80'])).code, 0);
    await f.sim.waitForPodRunning('default', 'web');
    // A test-chosen target: answers with a greeting, then echoes upper-cased.
    upstream = createServer((s) => {
      s.write('hello from pod\n');
      s.on('data', (d: Buffer) => s.write(d.toString().toUpperCase()));
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as { port: number }).port;
    f.sim.setPortTarget('default', 'web', 80, { host: '127.0.0.1', port: upstreamPort });
  });
  after(async () => {
    await f.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('reports an unreachable target on the error stream', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    f.sim.setPortTarget('default', 'web', 9999, { host: '127.0.0.1', port: deadPort });
    const pf = spawnKubectl(f.admin, ['port-forward', 'pod/web', ':9999', '--request-timeout=0'], { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } });
    try {
      const local = Number((await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 9999/))[1]);
      const got = await roundTrip(local, Buffer.from('x')).catch(() => Buffer.alloc(0));
      assert.equal(got.length, 0);
      await pf.waitFor(/error forwarding port 9999 to pod default\/web, uid [0-9a-f-]+: connect ECONNREFUSED/);
    } finally {
      await pf.stop();
    }
  });

  for (const mode of [
    { name: 'WebSocket tunnel (default)', env: {}, upgrade: 'websocket' },
    { name: 'SPDY', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, upgrade: 'spdy/3.1' },
  ]) {
    it(`forwards bytes both ways over ${mode.name}`, async () => {
      const pf = spawnKubectl(f.admin, ['port-forward', 'pod/web', ':8080', ':80', '--request-timeout=0'], { env: mode.env });
      try {
        const echoPort = Number((await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/))[1]);
        const webPort = Number((await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 80\n/))[1]);

        // Default target: the built-in echo server; 1 MiB exercises framing and back-pressure.
        const payload = Buffer.alloc(1024 * 1024, 'k');
        payload.write('start');
        const echoed = await roundTrip(echoPort, payload);
        assert.equal(echoed.length, payload.length);
        assert.ok(echoed.equals(payload));

        const reply = await new Promise<string>((resolve, reject) => {
          let text = '';
          const s = connect(webPort, '127.0.0.1', () => s.write('ping'));
          s.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('PING')) s.end();
          });
          s.on('close', () => resolve(text));
          s.on('error', reject);
        });
        assert.equal(reply, 'hello from pod\nPING');
        const record = f.sim.requests.filter((q) => q.subresource === 'portforward').at(-1)!;
        assert.equal(record.upgrade?.toLowerCase(), mode.upgrade);
        assert.equal(f.sim.openStreams().portforward, 1);
      } finally {
        await pf.stop();
      }
      // kubectl gone → its connection (and so our session) is closed.
      for (let i = 0; i < 100 && f.sim.openStreams().portforward !== 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(f.sim.openStreams().portforward, 0);
    });
  }
});
