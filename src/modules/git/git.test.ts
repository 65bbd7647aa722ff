import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configEnv, gitEnv, runGit } from './git.js';

test('gitEnv passes none of the server environment but PATH (no tokens, no database URL)', () => {
  const saved = { ...process.env };
  process.env.KUBEGATE_ROOT_TOKEN = 'kgpat-secret-secret-secret';
  process.env.KUBEGATE_DATABASE_URL = 'postgres://u:p@h/db';
  process.env.GIT_DIR = '/elsewhere';
  try {
    const env = gitEnv({ EXTRA: '1' });
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.EXTRA, '1');
    for (const key of Object.keys(env)) assert.ok(!/KUBEGATE|DATABASE/.test(key) && key !== 'GIT_DIR', key);
    assert.equal(env.GIT_CONFIG_NOSYSTEM, '1', 'system git config does not apply');
    assert.equal(env.GIT_CONFIG_GLOBAL, '/dev/null', 'nor does the global one');
  } finally {
    process.env = saved;
  }
});

test('configEnv sets per-process git configuration that git actually reads', async () => {
  const env = configEnv([
    ['http.receivepack', 'true'],
    ['core.hooksPath', '/x/hooks'],
  ]);
  assert.deepEqual(env, { GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'http.receivepack', GIT_CONFIG_VALUE_0: 'true', GIT_CONFIG_KEY_1: 'core.hooksPath', GIT_CONFIG_VALUE_1: '/x/hooks' });
  const { spawnSync } = await import('node:child_process');
  const out = spawnSync('git', ['config', '--get', 'core.hooksPath'], { env: gitEnv(env) });
  assert.equal(out.stdout.toString().trim(), '/x/hooks');
});

test('runGit collects output and exit codes; oversized output is an error', async () => {
  const version = await runGit('/nonexistent', ['version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout.toString(), /^git version/);
  const bad = await runGit('/nonexistent', ['rev-parse', 'HEAD']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /not a git repository/);
  await assert.rejects(runGit('/nonexistent', ['version'], { maxStdout: 3 }), /more than 3 bytes/);
});
