import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openStore } from '../../store/db.js';
import { createLogger } from '../../lib/log.js';
import { AuditLog, type ProxyAuditEvent } from './server.js';

function event(overrides: Partial<ProxyAuditEvent> = {}): ProxyAuditEvent {
  return {
    kind: 'k8s_proxy_request',
    time: '2026-11-22T10:00:00.000Z',
    job: 41,
    pipeline: 7,
    project: { id: 3, path: 'platform/app' },
    user: { id: 2, username: 'jane' },
    agent: { id: 5, name: 'prod' },
    access_as: 'ci_job',
    verb: 'list',
    api_group: '',
    api_version: 'v1',
    resource: 'pods',
    subresource: '',
    namespace: 'default',
    name: '',
    status: 200,
    bytes_in: 0,
    bytes_out: 1234,
    duration_ms: 3,
    ...overrides,
  };
}

test('each audit event is one JSON log line at once, and readable from the store after a flush', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-audit-'));
  const store = await openStore({ dataDir: dir });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  let out = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const audit = new AuditLog(store.db, createLogger('kubegate-server', { destination: sink, level: 'info' }).child({ module: 'audit' }));

  const first = event();
  const refused = event({ job: 42, status: 403, agent: { id: 9, name: '' }, error: 'job 42 may not use agent 9' });
  audit.record(first);
  audit.record(refused);
  await new Promise((resolve) => setImmediate(resolve));

  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2, 'one line per event, written before any flush');
  assert.deepEqual(lines.map((l) => [l.msg, l.level, l.module, l.name]), [['audit', 30, 'audit', 'kubegate-server'], ['audit', 30, 'audit', 'kubegate-server']]);
  assert.deepEqual(lines[0].audit, first);
  assert.deepEqual(lines[1].audit, refused);

  await audit.flush();
  const all = await audit.list({}, 0, 10);
  assert.equal(all.total, 2);
  assert.deepEqual(all.rows.map(({ id: _id, ...e }) => e), [refused, first], 'newest first');
  const forJob = await audit.list({ jobId: 41 }, 0, 10);
  assert.deepEqual(forJob.rows.map((r) => r.status), [200]);
  const forAgent = await audit.list({ agentId: 9 }, 0, 10);
  assert.deepEqual(forAgent.rows.map((r) => r.error), ['job 42 may not use agent 9']);
});
