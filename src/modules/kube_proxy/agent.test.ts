/**
 * The agent half of the proxy, without a tunnel: an HTTP/2 server runs the handler the
 * tunnel would run, in front of a plain HTTP stand-in for the Kubernetes API that records
 * what reached it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createKubeProxyHandler } from './agent.js';
import { IDENTITY_HEADER, encodeIdentity } from './shared.js';
import type { KubeConnection } from '../../agent/kube_connection.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  closedEarly: boolean;
}

type ApiHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function startFixture(api: ApiHandler, kubeOverride?: Partial<KubeConnection>, options: Parameters<typeof createKubeProxyHandler>[2] = {}) {
  const seen: Seen[] = [];
  const apiServer = http.createServer((req, res) => {
    const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: '', closedEarly: false };
    seen.push(entry);
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (entry.body += chunk));
    res.on('close', () => (entry.closedEarly = !res.writableFinished));
    req.on('end', () => api(req, res));
  });
  apiServer.listen(0, '127.0.0.1');
  await once(apiServer, 'listening');
  const kube: KubeConnection = {
    server: `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`,
    insecureSkipTlsVerify: false,
    bearerToken: () => 'agent-sa-token',
    source: 'test',
    ...kubeOverride,
  };
  const handler = createKubeProxyHandler(kube, pino({ level: 'silent' }), options);
  const h2 = http2.createServer(handler);
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  const session = http2.connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
  after(() => {
    session.close();
    h2.close();
    apiServer.closeAllConnections();
    apiServer.close();
  });
  return { seen, session };
}

const AS_AGENT = encodeIdentity({ kind: 'agent' });

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string) {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  return stream;
}

async function answer(stream: http2.ClientHttp2Stream): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  let body = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) body += chunk;
  return { status: Number(headers[':status']), headers, body };
}

test('a request reaches the API with the agent\'s credentials and the identity\'s impersonation, and the body comes back whole', async () => {
  const { seen, session } = await startFixture((_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-api': 'yes' });
    res.end('{"kind":"ConfigMap"}');
  });
  const identity = encodeIdentity({ kind: 'impersonate', username: 'gitlab:ci_job:7', groups: ['gitlab:ci_job', 'gitlab:project:3'], extra: { 'agent.gitlab.com/id': ['5'] } });
  const r = await answer(request(session, {
    ':method': 'POST',
    ':path': '/api/v1/namespaces/default/configmaps?fieldManager=kubectl',
    'content-type': 'application/json',
    authorization: 'Bearer caller-token',
    cookie: 'session=caller',
    [IDENTITY_HEADER]: identity,
  }, '{"metadata":{"name":"x"}}'));
  assert.equal(r.status, 201);
  assert.equal(r.body, '{"kind":"ConfigMap"}');
  assert.equal(r.headers['x-api'], 'yes');
  const [got] = seen;
  assert.equal(got?.method, 'POST');
  assert.equal(got?.url, '/api/v1/namespaces/default/configmaps?fieldManager=kubectl');
  assert.equal(got?.body, '{"metadata":{"name":"x"}}');
  assert.equal(got?.headers.authorization, 'Bearer agent-sa-token');
  assert.equal(got?.headers.cookie, undefined);
  assert.equal(got?.headers[IDENTITY_HEADER], undefined);
  assert.equal(got?.headers['impersonate-user'], 'gitlab:ci_job:7');
  assert.equal(got?.headers['impersonate-group'], 'gitlab:ci_job, gitlab:project:3');
  assert.equal(got?.headers['impersonate-extra-agent.gitlab.com%2fid'] /* header names arrive lower-cased */, '5');
});

test('a large answer streams through with its status and length', async () => {
  const size = 3 * 1024 * 1024 + 17;
  const { session } = await startFixture((_req, res) => {
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(size, 0x61));
  });
  const r = await answer(request(session, { ':method': 'GET', ':path': '/big', [IDENTITY_HEADER]: AS_AGENT }));
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String(size));
  assert.equal(r.body.length, size);
});

test('without an identity nothing is forwarded: 403', async () => {
  const { seen, session } = await startFixture((_req, res) => res.end('must not be reached'));
  const r = await answer(request(session, { ':method': 'GET', ':path': '/api/v1/pods' }));
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).message, /carries no identity/);
  assert.equal(seen.length, 0);
});

test('an unreachable Kubernetes API is a 502 Status that names it', async () => {
  const { session } = await startFixture((_req, res) => res.end(), { server: 'http://127.0.0.1:1' });
  const r = await answer(request(session, { ':method': 'GET', ':path': '/api/v1/pods', [IDENTITY_HEADER]: AS_AGENT }));
  assert.equal(r.status, 502);
  const status = JSON.parse(r.body);
  assert.equal(status.kind, 'Status');
  assert.match(status.message, /cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1/);
});

test('an answer cut short by the API is reset, never passed off as complete', async () => {
  const { session } = await startFixture((_req, res) => {
    res.writeHead(200, { 'content-length': 1024 * 1024 });
    res.write(Buffer.alloc(100 * 1024, 0x62), () => res.destroy());
  });
  const stream = request(session, { ':method': 'GET', ':path': '/cut', [IDENTITY_HEADER]: AS_AGENT });
  await assert.rejects(answer(stream));
  assert.equal(stream.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
});

test('a caller that goes away cancels the request to the API', async () => {
  const { seen, session } = await startFixture((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED"}\n'); // a watch: stays open
  });
  const stream = request(session, { ':method': 'GET', ':path': '/api/v1/pods?watch=1', [IDENTITY_HEADER]: AS_AGENT });
  await once(stream, 'response');
  stream.close(http2.constants.NGHTTP2_CANCEL);
  for (let i = 0; i < 100 && !seen[0]?.closedEarly; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(seen[0]?.closedEarly, true, 'the API request was not cancelled');
});

test('a caller that does not read holds back the API, without losing a byte once it reads', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x63);
  let written = 0;
  let sawBackpressure = false;
  const { session } = await startFixture((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (written < 64 * 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) {
          sawBackpressure = true;
          return void res.once('drain', pump);
        }
      }
      res.end();
    };
    pump();
  });
  const stream = request(session, { ':method': 'GET', ':path': '/api/v1/namespaces/x/pods/p/log?follow=true', [IDENTITY_HEADER]: AS_AGENT });
  await once(stream, 'response');
  stream.pause();
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(sawBackpressure, 'the API was never held back');
  assert.ok(written < 32 * 1024 * 1024, `the API wrote ${written} bytes for a caller that read nothing`);
  let received = 0;
  stream.on('data', (c: Buffer) => (received += c.length));
  stream.resume();
  await once(stream, 'end');
  assert.equal(received, 64 * 1024 * 1024);
});

test('each request acts as its own identity, also when identities alternate', async () => {
  const { seen, session } = await startFixture((_req, res) => res.end('{}'));
  const as = (username: string) => encodeIdentity({ kind: 'impersonate', username, groups: ['gitlab:ci_job'], extra: {} });
  for (const user of ['gitlab:ci_job:1', 'gitlab:ci_job:2', 'gitlab:ci_job:1']) {
    assert.equal((await answer(request(session, { ':method': 'GET', ':path': '/api/v1/pods', [IDENTITY_HEADER]: as(user) }))).status, 200);
  }
  assert.equal((await answer(request(session, { ':method': 'GET', ':path': '/api/v1/pods', [IDENTITY_HEADER]: AS_AGENT }))).status, 200);
  assert.deepEqual(seen.map((s) => s.headers['impersonate-user']), ['gitlab:ci_job:1', 'gitlab:ci_job:2', 'gitlab:ci_job:1', undefined]);
  // A malformed identity is refused every time, never taken from an earlier request.
  for (let i = 0; i < 2; i++) {
    assert.equal((await answer(request(session, { ':method': 'GET', ':path': '/api/v1/pods', [IDENTITY_HEADER]: 'bm90IGpzb24' }))).status, 403);
  }
  assert.equal(seen.length, 4);
});

test('long-lived requests past --max-long-streams get a prompt 429 naming the limit; short requests still pass (HTTP/1.1 API server)', async () => {
  const { seen, session } = await startFixture(
    (req, res) => {
      if (req.url!.includes('watch=true')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        return; // a watch: open until the caller leaves
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"ConfigMapList"}');
    },
    undefined,
    { maxLongStreams: 2, podName: 'pod-x' },
  );
  const watch = () => request(session, { ':method': 'GET', ':path': '/api/v1/configmaps?watch=true', [IDENTITY_HEADER]: AS_AGENT });
  const first = watch();
  const second = watch();
  await Promise.all([once(first, 'response'), once(second, 'response')]);
  const refused = await answer(watch());
  assert.equal(refused.status, 429);
  const status = JSON.parse(refused.body) as { kind: string; reason: string; message: string };
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'TooManyRequests');
  assert.equal(status.message, 'kubegate agent: pod pod-x has 2 long-lived requests open (watch, logs -f, exec, attach, port-forward), its limit (--max-long-streams); close some, or run more agent replicas');
  const logsFollow = await answer(request(session, { ':method': 'GET', ':path': '/api/v1/namespaces/a/pods/p/log?follow=true', [IDENTITY_HEADER]: AS_AGENT }));
  assert.equal(logsFollow.status, 429, 'logs -f counts as long-lived too');
  const short = await answer(request(session, { ':method': 'GET', ':path': '/api/v1/configmaps', [IDENTITY_HEADER]: AS_AGENT }));
  assert.equal(short.status, 200);
  // A closed watch frees its slot (once the agent has seen the reset).
  first.close(http2.constants.NGHTTP2_CANCEL);
  let third: http2.ClientHttp2Stream;
  for (;;) {
    third = watch();
    const [headers] = (await once(third, 'response')) as [http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader];
    if (headers[':status'] === 200) break;
    assert.equal(headers[':status'], 429);
    third.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  second.close(http2.constants.NGHTTP2_CANCEL);
  third.close(http2.constants.NGHTTP2_CANCEL);
  assert.equal(seen.filter((r) => r.url.includes('watch=true')).length, 3, 'refused requests never reached the API');
  assert.equal(seen.filter((r) => r.url.includes('follow=true')).length, 0);
});
