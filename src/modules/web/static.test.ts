/**
 * Serving the built UI: caching (hashed assets immutable, index.html revalidated), the
 * app shell for client routes and never for machine paths, pre-compressed files, the
 * security headers, and a clear 503 when the UI was not built.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { registerStaticUi } from './static.js';
import { CONTENT_SECURITY_POLICY } from './security_headers.js';

const INDEX = '<!doctype html><title>Kubegate</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;
let root: string;
let app: FastifyInstance;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kubegate-ui-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(root, 'assets/index-abc123.js'), SCRIPT);
  await writeFile(join(root, 'assets/index-abc123.js.br'), brotliCompressSync(SCRIPT));
  app = Fastify();
  registerStaticUi(app, root, pino({ level: 'silent' }));
  app.get('/api/v4/version', async () => ({ version: 'test' }));
  await app.ready();
});

after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

function assertSecurityHeaders(headers: Record<string, unknown>) {
  assert.equal(headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
}

test('index.html at / and at every client route, revalidated on each load', async () => {
  for (const url of ['/', '/platform/clusters/-/clusters?tab=agent', '/groups/platform', '/dashboard/projects']) {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.body, INDEX);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.ok(res.headers.etag, 'an ETag makes revalidation cheap');
    assertSecurityHeaders(res.headers);
  }
  const etag = String((await app.inject('/')).headers.etag);
  assert.equal((await app.inject({ url: '/', headers: { 'if-none-match': etag } })).statusCode, 304);
});

test('hashed assets are immutable; a missing one is a 404, never the page', async () => {
  const res = await app.inject('/assets/index-abc123.js');
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, SCRIPT);
  assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(res.headers['content-type']), /javascript/);
  assertSecurityHeaders(res.headers);
  const missing = await app.inject('/assets/index-old999.js');
  assert.equal(missing.statusCode, 404);
  assert.doesNotMatch(missing.body, /<!doctype html>/);
});

test('a browser that takes brotli gets the pre-compressed file', async () => {
  const res = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-encoding'], 'br');
  assert.match(String(res.headers.vary), /Accept-Encoding/);
  assert.ok(res.rawPayload.length < SCRIPT.length);
});

test('machine paths keep their 404: the API, /-/, Git, unknown files', async () => {
  for (const url of ['/api/v4/nope', '/-/nothing', '/-/kubernetes-agent/k8s-proxy/api/v1/pods', '/platform/clusters.git/info/refs', '/platform/clusters.git/HEAD', '/favicon.ico']) {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 404, url);
    assert.doesNotMatch(res.body, /<!doctype html>/, url);
  }
  assert.equal((await app.inject('/api/v4/version')).json().version, 'test');
  assert.equal((await app.inject({ method: 'POST', url: '/platform/clusters' })).statusCode, 404);
});

test('an installation without the built UI answers 503 with what to do', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'kubegate-ui-empty-'));
  const bare = Fastify();
  try {
    registerStaticUi(bare, empty, pino({ level: 'silent' }));
    await bare.ready();
    const res = await bare.inject('/platform/clusters');
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /not built/);
    assert.match(res.body, /npm run build/);
    assert.equal((await bare.inject('/api/v4/nope')).statusCode, 404);
  } finally {
    await bare.close();
    await rm(empty, { recursive: true, force: true });
  }
});
