import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { parse } from 'yaml';
import { createChartRepository, registerChartRoutes } from './server.js';

test('GET /-/charts/index.yaml lists the packed chart with its digest; the archive is served by that name only', async () => {
  const repository = await createChartRepository({ version: '3.4.5', now: () => new Date('2030-01-02T03:04:05Z') });
  const app = Fastify();
  registerChartRoutes(app, repository);
  const index = await app.inject({ method: 'GET', url: '/-/charts/index.yaml' });
  assert.equal(index.statusCode, 200);
  assert.match(String(index.headers['content-type']), /^application\/yaml/);
  const parsed = parse(index.body);
  assert.equal(parsed.apiVersion, 'v1');
  const [entry] = parsed.entries['kubegate-agent'];
  assert.equal(entry.version, '3.4.5');
  assert.equal(entry.appVersion, '3.4.5');
  assert.deepEqual(entry.urls, ['kubegate-agent-3.4.5.tgz']);
  assert.equal(entry.created, '2030-01-02T03:04:05.000Z');

  const archive = await app.inject({ method: 'GET', url: '/-/charts/kubegate-agent-3.4.5.tgz' });
  assert.equal(archive.statusCode, 200);
  assert.equal(archive.headers['content-type'], 'application/gzip');
  assert.equal(createHash('sha256').update(archive.rawPayload).digest('hex'), entry.digest);

  const head = await app.inject({ method: 'HEAD', url: '/-/charts/kubegate-agent-3.4.5.tgz' });
  assert.equal(head.statusCode, 200);
  const other = await app.inject({ method: 'GET', url: '/-/charts/kubegate-agent-0.0.1.tgz' });
  assert.equal(other.statusCode, 404);
  assert.match(other.json().message, /holds kubegate-agent-3\.4\.5\.tgz only \(see \/-\/charts\/index\.yaml\)/);
  const bare = await app.inject({ method: 'GET', url: '/-/charts/' });
  assert.equal(bare.body, index.body);
  await app.close();
});
