import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_KEY_FILE, SecretBox, parseSecretKey } from './secret_box.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-secrets-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('round trip with a key file created 0600 (directory 0700) on first use, and reused', () =>
  withDir(async (dir) => {
    const box = new SecretBox(dir, undefined);
    await assert.rejects(stat(join(dir, SECRET_KEY_FILE)), 'no key before the first use');
    const sealed = await box.encrypt('sa-token-123', 'test');
    assert.doesNotMatch(sealed, /sa-token-123/);
    assert.match(sealed, /^v1:[^:]+:[^:]+:[^:]+$/);
    assert.equal(await box.decrypt(sealed, 'test'), 'sa-token-123');
    assert.equal((await stat(join(dir, SECRET_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
    // A restarted server reads the same key.
    assert.equal(await new SecretBox(dir, undefined).decrypt(sealed, 'test'), 'sa-token-123');
    // The same plaintext seals differently each time (random IV).
    assert.notEqual(await box.encrypt('sa-token-123', 'test'), sealed);
  }));

test('two first uses at once make one key', () =>
  withDir(async (dir) => {
    const box = new SecretBox(dir, undefined);
    const [a, b] = await Promise.all([box.encrypt('a', 'p'), box.encrypt('b', 'p')]);
    const other = new SecretBox(dir, undefined);
    assert.equal(await other.decrypt(a, 'p'), 'a');
    assert.equal(await other.decrypt(b, 'p'), 'b');
  }));

test('KUBEGATE_SECRET_KEY (base64 or hex) wins over the key file and writes none', () =>
  withDir(async (dir) => {
    const key = randomBytes(32);
    const fromBase64 = new SecretBox(dir, key.toString('base64'));
    const fromHex = new SecretBox(dir, key.toString('hex'));
    const sealed = await fromBase64.encrypt('t', 'p');
    assert.equal(await fromHex.decrypt(sealed, 'p'), 't');
    await assert.rejects(stat(join(dir, SECRET_KEY_FILE)));
    // Another key cannot read it, and says what to do.
    await assert.rejects(new SecretBox(dir, randomBytes(32).toString('base64')).decrypt(sealed, 'p'), /same KUBEGATE_SECRET_KEY/);
  }));

test('a sealed value decrypts only for its purpose', () =>
  withDir(async (dir) => {
    const box = new SecretBox(dir, undefined);
    const sealed = await box.encrypt('t', 'cluster-token');
    await assert.rejects(box.decrypt(sealed, 'something-else'), /cannot be decrypted/);
    const [v, iv, tag, body] = sealed.split(':');
    const flipped = Buffer.from(body!, 'base64');
    flipped[0]! ^= 1;
    await assert.rejects(box.decrypt([v, iv, tag, flipped.toString('base64')].join(':'), 'cluster-token'), /cannot be decrypted/);
  }));

test('malformed keys are refused with how to make one', () => {
  for (const bad of ['', 'short', randomBytes(16).toString('base64'), randomBytes(31).toString('hex'), 'x'.repeat(64)]) {
    assert.throws(() => parseSecretKey(bad), /KUBEGATE_SECRET_KEY must be 32 random bytes.*openssl rand -base64 32/, bad);
  }
  assert.throws(() => new SecretBox('/nonexistent', 'nope'), /KUBEGATE_SECRET_KEY/);
  assert.equal(parseSecretKey(` ${randomBytes(32).toString('base64')}\n`).length, 32);
});

test('a damaged key file is reported, not replaced', () =>
  withDir(async (dir) => {
    await mkdir(join(dir, 'keys'));
    await writeFile(join(dir, SECRET_KEY_FILE), 'garbage\n');
    await assert.rejects(new SecretBox(dir, undefined).encrypt('t', 'p'), /does not hold a 32-byte base64 key; restore it/);
    assert.equal(await readFile(join(dir, SECRET_KEY_FILE), 'utf8'), 'garbage\n');
  }));
