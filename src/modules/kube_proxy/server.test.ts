/**
 * The proxy's decisions with a fake tunnel: what is refused, with which Status, what the
 * agent receives, and that nothing is forwarded with the caller's credentials.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { ProxyAuthorizer } from './auth.js';
import { createKubeProxy } from './server.js';
import { IDENTITY_HEADER, decodeIdentity } from './shared.js';
import { NoAgentConnectionError, type TunnelRequest } from '../tunnel/server.js';
import type { JobContext } from '../ci_access/jobs.js';
import type { ProxyAuditEvent } from '../audit/server.js';
import { KubegateError } from '../../lib/errors.js';

const JOB_TOKEN = 'kgjob-good';
const ctx = {
  job: { id: 5, pipeline_id: 9, status: 'running' },
  project: { id: 3, full_path: 'acme/app' },
  user: { id: 1, username: 'root' },
  environment: null,
} as unknown as JobContext;

let mode: 'answer' | 'hang' | 'no-pods' | 'stream' = 'answer';
let proxyRef: ReturnType<typeof createKubeProxy>;
const sent: TunnelRequest[] = [];
const audited: ProxyAuditEvent[] = [];
let server: http.Server;
let base: string;

before(async () => {
  const authorizer = new ProxyAuthorizer({
    authenticateJob: async (token) => {
      if (token !== JOB_TOKEN) throw new KubegateError('unauthorized', '401 Unauthorized: the job token is not valid');
      return ctx;
    },
    grantFor: async (_ctx, agentId) =>
      agentId === 7
        ? { grant: { agent: { id: 7, name: 'prod' }, configProject: { id: 3, fullPath: 'acme/app' }, source: 'implicit', accessAs: { kind: 'ci_job' } }, identity: { kind: 'impersonate', username: 'gitlab:ci_job:5', groups: ['gitlab:ci_job'], extra: {} } }
        : undefined,
  });
  const proxy = createKubeProxy({
    authorizer,
    audit: { record: (e) => void audited.push(e) },
    logger: pino({ level: 'silent' }),
    responseHeadersTimeoutMs: 300,
    tunnel: {
      async request(agentId, request) {
        sent.push(request);
        if (mode === 'no-pods') throw new NoAgentConnectionError(agentId);
        if (mode === 'stream') {
          // A `logs -f` that would go on for ever.
          const body = new Readable({ read() {} });
          body.push('line 1\n');
          return { status: 200, headers: { 'content-type': 'text/plain' }, body, connectionId: 1 };
        }
        if (mode === 'hang') {
          return new Promise((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return { status: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from('{"kind":"PodList","items":[]}')]), connectionId: 1 };
      },
      async upgrade(_agentId, request) {
        // Only the deadline is exercised here: the agent never answers.
        return new Promise((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    },
  });
  proxyRef = proxy;
  server = http.createServer((req, res) => {
    if (!proxy.handleRequest(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/-/kubernetes-agent/k8s-proxy`;
});

after(() => server.close());

async function get(path: string, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, json: text.startsWith('{') ? JSON.parse(text) : null };
}

const auth = (agent = 7, token = JOB_TOKEN) => ({ authorization: `Bearer ci:${agent}:${token}` });

test('an allowed request reaches the agent without the caller\'s credentials, with the computed identity', async () => {
  mode = 'answer';
  sent.length = 0;
  const res = await get('/api/v1/namespaces/default/pods?limit=5', { ...auth(), cookie: 'session=1' });
  assert.equal(res.status, 200);
  assert.equal(res.json.kind, 'PodList');
  const [request] = sent;
  assert.equal(request!.path, '/api/v1/namespaces/default/pods?limit=5');
  const headers = request!.headers!;
  assert.equal(headers.authorization, undefined);
  assert.equal(headers.cookie, undefined);
  assert.deepEqual(decodeIdentity(String(headers[IDENTITY_HEADER])), { kind: 'impersonate', username: 'gitlab:ci_job:5', groups: ['gitlab:ci_job'], extra: {} });
});

const REFUSALS: Array<[string, Record<string, string>, number, RegExp]> = [
  ['no credentials', {}, 401, /no credentials/],
  ['a personal access token instead of ci:<agent>:<job token>', { authorization: 'Bearer kgpat-x' }, 401, /malformed credentials/],
  ['a bad job token', auth(7, 'kgjob-bad'), 401, /job token is not valid.*only while its job runs/],
  ['an agent the job may not use', auth(8), 403, /job 5 of project acme\/app may not use agent 8/],
  ['Impersonate-User from the caller', { ...auth(), 'impersonate-user': 'admin' }, 403, /impersonation is set by the agent configuration only; remove the impersonate-user header/],
  ['Impersonate-Group from the caller', { ...auth(), 'impersonate-group': 'system:masters' }, 403, /remove the impersonate-group header/],
];

for (const [what, headers, code, message] of REFUSALS) {
  test(`refused: ${what} → ${code} Status, nothing forwarded`, async () => {
    mode = 'answer';
    sent.length = 0;
    const res = await get('/api/v1/pods', headers);
    assert.equal(res.status, code);
    assert.equal(res.json.kind, 'Status');
    assert.equal(res.json.code, code);
    assert.equal(res.json.status, 'Failure');
    assert.match(res.json.message, /^kubegate: /);
    assert.match(res.json.message, message);
    assert.equal(sent.length, 0);
  });
}

test('discovery refusals are plain text, which kubectl prints as the message', async () => {
  const res = await get('/api', auth(8));
  assert.equal(res.status, 403);
  assert.match(res.type!, /^text\/plain/);
  assert.match(res.text, /^kubegate: job 5 of project acme\/app may not use agent 8/);
});

test('no connected pod → 503 naming the agent; no answer in time → 504; both audited', async () => {
  mode = 'no-pods';
  audited.length = 0;
  const none = await get('/api/v1/pods', auth());
  assert.equal(none.status, 503);
  assert.match(none.json.message, /agent 7 \("acme\/app:prod"\) has no connected pods; is the agent running\?/);
  mode = 'hang';
  const slow = await get('/api/v1/pods', auth());
  assert.equal(slow.status, 504);
  assert.match(slow.json.message, /did not answer within 0\.3 s/);
  assert.deepEqual(audited.map((e) => e.status), [503, 504]);
  assert.equal(audited[0]!.job, 5);
  assert.equal(audited[0]!.verb, 'list');
});

test('finishing a job ends its open streams', async () => {
  mode = 'stream';
  const res = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?follow=true`, { headers: auth() });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), 'line 1\n');
  assert.equal(proxyRef.closeJob(5), 1);
  await assert.rejects(async () => {
    for (;;) if ((await reader.read()).done) throw new Error('ended');
  });
  assert.equal(proxyRef.closeJob(5), 0, 'nothing left open');
});

test('an upgrade the agent never answers gets 504 on the socket', async () => {
  const { connect } = await import('node:net');
  const { port } = new URL(base);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        ['POST /-/kubernetes-agent/k8s-proxy/api/v1/namespaces/default/pods/web/exec?command=sh HTTP/1.1', `Host: 127.0.0.1:${port}`, `Authorization: Bearer ci:7:${JOB_TOKEN}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1', '', ''].join('\r\n'),
      );
    });
    let data = '';
    socket.setEncoding('utf8').on('data', (c: string) => (data += c));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 504/);
  assert.match(answer, /did not answer within 0\.3 s/);
});
