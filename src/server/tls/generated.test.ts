import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGeneratedTls, servingNames } from './generated.js';
import { DAY_MS, RENEW_WHEN_DAYS_LEFT, SERVING_VALIDITY_DAYS } from './defaults.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-tls-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the serving certificate is renewed by the same CA once fewer than RENEW_WHEN_DAYS_LEFT days remain', () =>
  withDir(async (dir) => {
    const names = servingNames('127.0.0.1', 'https://127.0.0.1:8080');
    const first = await ensureGeneratedTls(dir, names);
    assert.deepEqual(first.events, ['ca_created', 'serving_issued']);
    const notDue = new Date(Date.now() + (SERVING_VALIDITY_DAYS - RENEW_WHEN_DAYS_LEFT - 1) * DAY_MS);
    assert.deepEqual((await ensureGeneratedTls(dir, names, notDue)).events, [], 'a day before it is due: kept');
    const due = new Date(Date.now() + (SERVING_VALIDITY_DAYS - RENEW_WHEN_DAYS_LEFT + 1) * DAY_MS);
    const renewed = await ensureGeneratedTls(dir, names, due);
    assert.deepEqual(renewed.events, ['serving_renewed']);
    assert.equal(renewed.caPem, first.caPem, 'the CA stays');
    const leaf = new X509Certificate(await readFile(join(dir, 'tls/server.pem'), 'utf8'));
    assert.ok(leaf.checkIssued(new X509Certificate(first.caPem)));
    assert.ok(new Date(leaf.validTo).getTime() > new Date(first.notAfter).getTime(), 'the new one lasts longer');
  }));

test('a new external host is added to the serving certificate (re-issued), the CA stays', () =>
  withDir(async (dir) => {
    const first = await ensureGeneratedTls(dir, servingNames('127.0.0.1', 'https://127.0.0.1:8080'));
    const moved = await ensureGeneratedTls(dir, servingNames('0.0.0.0', 'https://kubegate.example.com'));
    assert.deepEqual(moved.events, ['serving_renewed']);
    assert.equal(moved.caPem, first.caPem);
    const leaf = new X509Certificate(moved.chainPem);
    assert.equal(leaf.checkHost('kubegate.example.com'), 'kubegate.example.com');
    assert.equal(leaf.checkIP('::1'), '::1');
  }));

test('a CA certificate without its key stops the start with the way out', () =>
  withDir(async (dir) => {
    const first = await ensureGeneratedTls(dir, ['localhost']);
    await rm(join(dir, 'tls/ca-key.pem'));
    await assert.rejects(ensureGeneratedTls(dir, ['localhost']), /ca\.pem and \S+ca-key\.pem must both exist .*delete \S+tls to make a new CA/);
    await writeFile(join(dir, 'tls/ca-key.pem'), first.keyPem, { mode: 0o600 });
    await assert.rejects(ensureGeneratedTls(dir, ['localhost']), /the generated CA in \S+ca\.pem is unusable \(its key does not match\)/);
  }));
