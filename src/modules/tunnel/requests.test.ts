import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type http2 from 'node:http2';
import { startTestAgent, startTestServer, TRANSPORT_CASES, waitFor, type TestAgent, type TestServer } from './testing.js';
import { acceptUpgrade, requestedUpgrade, forwardedHeaders } from './agent.js';
import { NoAgentConnectionError, TunnelAbortedError } from './server.js';

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Requests the agent saw end without completing (aborted by the server). */
const abortedPaths: string[] = [];
let firehoseWrites = 0;

function handler(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const url = new URL(req.url, 'http://agent');
  if (requestedUpgrade(req)) {
    const headers = forwardedHeaders(req);
    if (url.pathname === '/refuse') {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('no exec for you');
      return;
    }
    const raw = acceptUpgrade(res, { 'x-seen-upgrade': String(headers.upgrade), 'x-seen-connection': String(headers.connection) });
    raw.pipe(raw); // echo the raw bytes back
    return;
  }
  switch (url.pathname) {
    case '/hello':
      res.writeHead(201, { 'x-answer': '42', 'x-method': req.method, 'x-authority': req.headers[':authority'] ?? '' });
      res.end(`hello ${req.headers['x-name'] ?? ''}`);
      return;
    case '/echo':
      res.writeHead(200);
      req.pipe(res);
      return;
    case '/size': {
      const size = Number(url.searchParams.get('bytes'));
      const chunk = Buffer.alloc(64 * 1024, 1);
      res.writeHead(200);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          const n = Math.min(chunk.length, size - sent);
          sent += n;
          if (!res.write(chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    case '/firehose': {
      // Writes until HTTP/2 flow control pushes back, then waits: a reader that never
      // reads must hold back this stream only.
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 2);
      const pump = (): void => {
        while (!res.destroyed) {
          firehoseWrites++;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
      return;
    }
    case '/throw':
      throw new Error('handler bug');
    case '/hang':
      res.writeHead(200);
      res.write('started');
      req.on('close', () => {
        if (!res.writableEnded) abortedPaths.push(url.pathname);
      });
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

for (const transport of TRANSPORT_CASES) {
  describe(`over ${transport.name}`, () => {
    let server: TestServer;
    let agent: TestAgent;

    before(async () => {
      server = await startTestServer(transport.server);
      agent = startTestAgent({ kasAddress: server.url, handler, ...transport.agent });
      await waitFor(() => server.tunnel.isConnected(1), 'the agent to connect');
      assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected);
    });

    after(async () => {
      await agent.stop();
      await server.close();
    });

    test('a request and its answer travel through the tunnel', async () => {
      const res = await server.tunnel.request(1, {
        method: 'post',
        path: '/hello?x=1',
        headers: { host: 'kube.example', 'x-name': 'tunnel', connection: 'keep-alive', 'transfer-encoding': 'chunked' },
        body: 'ignored',
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers['x-answer'], '42');
      assert.equal(res.headers['x-method'], 'POST');
      assert.equal(res.headers['x-authority'], 'kube.example');
      assert.equal((await readAll(res.body)).toString(), 'hello tunnel');
    });

    test('bodies stream both ways: each chunk comes back before the next is sent', async () => {
      const upload = new PassThrough();
      const res = await server.tunnel.request(1, { method: 'POST', path: '/echo', body: upload });
      assert.equal(res.status, 200);
      const reader = res.body[Symbol.asyncIterator]();
      for (let i = 0; i < 5; i++) {
        const sent = `chunk-${i};`;
        upload.write(sent);
        let got = '';
        while (got.length < sent.length) got += String(((await reader.next()).value as Buffer).toString());
        assert.equal(got, sent);
      }
      upload.end();
      assert.equal((await reader.next()).done, true);
    });

    test('a large body arrives intact in both directions', async () => {
      const size = 8 * 1024 * 1024 + 7;
      const down = await server.tunnel.request(1, { method: 'GET', path: `/size?bytes=${size}` });
      assert.equal((await readAll(down.body)).length, size);

      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = i % 251;
      const up = await server.tunnel.request(1, { method: 'PUT', path: '/echo', body: Readable.from([payload.subarray(0, 1000), payload.subarray(1000)]) });
      assert.ok((await readAll(up.body)).equals(payload));
    });

    test('many concurrent streams share one connection', async () => {
      const answers = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const res = await server.tunnel.request(1, { method: 'GET', path: '/hello', headers: { 'x-name': String(i) } });
          return (await readAll(res.body)).toString();
        }),
      );
      assert.deepEqual(answers, Array.from({ length: 300 }, (_, i) => `hello ${i}`));
    });

    test('a stream nobody reads does not stall the others', async () => {
      firehoseWrites = 0;
      const stuck = await server.tunnel.request(1, { method: 'GET', path: '/firehose' });
      stuck.body.pause();
      // The firehose fills its stream window and stops; it must not take the connection.
      await waitFor(() => firehoseWrites > 0, 'the firehose to start');
      const size = 32 * 1024 * 1024;
      const other = await server.tunnel.request(1, { method: 'GET', path: `/size?bytes=${size}` });
      assert.equal((await readAll(other.body)).length, size);
      const writesWhileStuck = firehoseWrites;
      assert.ok(writesWhileStuck * 64 * 1024 < 64 * 1024 * 1024, 'the unread stream is held by flow control');
      stuck.body.destroy();
    });

    test('aborting the signal cancels the request on the agent', async () => {
      const controller = new AbortController();
      const res = await server.tunnel.request(1, { method: 'GET', path: '/hang', signal: controller.signal });
      const first = await res.body[Symbol.asyncIterator]().next();
      assert.equal(String(first.value), 'started');
      controller.abort();
      await waitFor(() => abortedPaths.includes('/hang'), 'the agent to see the abort');
    });

    test('an already aborted signal rejects without sending', async () => {
      await assert.rejects(
        server.tunnel.request(1, { method: 'GET', path: '/hello', signal: AbortSignal.abort() }),
        TunnelAbortedError,
      );
    });

    test('an agent with no connection gives a typed 503 error', async () => {
      await assert.rejects(server.tunnel.request(99, { method: 'GET', path: '/' }), (err: unknown) => {
        assert.ok(err instanceof NoAgentConnectionError);
        assert.equal(err.status, 503);
        assert.match(err.message, /agent 99 has no connected pods/);
        return true;
      });
    });

    test('an upgraded request carries raw bytes both ways after 101', async () => {
      const res = await server.tunnel.upgrade(1, { method: 'GET', path: '/exec', headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1' } }, 'SPDY/3.1');
      assert.equal(res.status, 101);
      assert.equal(res.headers['x-seen-upgrade'], 'SPDY/3.1');
      assert.equal(res.headers['x-seen-connection'], 'Upgrade');
      res.stream.write('ping');
      const [echo] = (await once(res.stream, 'data')) as [Buffer];
      assert.equal(echo.toString(), 'ping');
      res.stream.end();
      await pipeline(res.stream, new PassThrough().resume());
    });

    test('a refused upgrade comes back as an ordinary answer', async () => {
      const res = await server.tunnel.upgrade(1, { method: 'GET', path: '/refuse' }, 'websocket');
      assert.equal(res.status, 403);
      assert.equal((await readAll(res.stream)).toString(), 'no exec for you');
    });

    test('a handler that throws answers 500 and leaves the connection up', async () => {
      const res = await server.tunnel.request(1, { method: 'GET', path: '/throw' });
      assert.equal(res.status, 500);
      assert.match((await readAll(res.body)).toString(), /internal error/);
      const ok = await server.tunnel.request(1, { method: 'GET', path: '/hello' });
      assert.equal(ok.status, 201);
      await readAll(ok.body);
    });
  });
}
