import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOOK_ENV, HOOK_SCRIPTS, PROTECTED_DELETE_DENIED, PROTECTED_FORCE_PUSH_DENIED, PROTECTED_PUSH_DENIED, installHooks, parsePushLog, protectedBranchesEnv } from './hooks.js';
import { gitEnv } from './git.js';

const ZERO = '0'.repeat(40);
let work: string;
let hooks: string;
let base: string;
let child: string;
let sibling: string;

function git(...args: string[]): string {
  const env = { ...gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
  return execFileSync('git', ['-C', work, ...args], { env }).toString().trim();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kubegate-hooks-'));
  hooks = join(work, 'hooks-dir');
  git('init', '--quiet', '--initial-branch=main');
  git('commit', '--quiet', '--allow-empty', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  git('commit', '--quiet', '--allow-empty', '-m', 'child');
  child = git('rev-parse', 'HEAD');
  git('checkout', '--quiet', '-b', 'side', base);
  git('commit', '--quiet', '--allow-empty', '-m', 'sibling');
  sibling = git('rev-parse', 'HEAD');
  await installHooks(hooks);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Push {
  lines: string[];
  patterns?: string[];
  /** The pusher may push under every rule (a Maintainer under Kubegate's default rules). */
  maintainer?: boolean;
  /** Rules as the server computes them; overrides `patterns` and `maintainer`. */
  rules?: Array<{ pattern: string; pushAllowed: boolean; who: string }>;
  enabled?: boolean;
}

function preReceive(push: Push) {
  const env: Record<string, string> = { ...gitEnv(), GIT_DIR: join(work, '.git') } as Record<string, string>;
  if (push.enabled !== false) env[HOOK_ENV.enabled] = '1';
  const rules = push.rules ?? (push.patterns ?? ['main']).map((pattern) => ({ pattern, pushAllowed: push.maintainer === true, who: 'Maintainers' }));
  env[HOOK_ENV.protectedBranches] = protectedBranchesEnv(rules);
  const r = spawnSync(join(hooks, 'pre-receive'), { input: push.lines.map((l) => `${l}\n`).join(''), env });
  return { code: r.status, stderr: r.stderr.toString() };
}

test('unprotected branches and tags pass for anyone', () => {
  assert.equal(preReceive({ lines: [`${base} ${sibling} refs/heads/side`, `${ZERO} ${child} refs/tags/v1`, `${child} ${ZERO} refs/heads/old`] }).code, 0);
});

test('a Developer cannot push to a protected branch and is told why', () => {
  const r = preReceive({ lines: [`${base} ${child} refs/heads/main`] });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(PROTECTED_PUSH_DENIED.replace(/\./g, '\\.')));
  assert.match(r.stderr, /Branch 'main' is protected: only Maintainers may push to it/);
});

test('when several rules match a branch, any rule that lets the pusher push is enough', () => {
  const rules = [
    { pattern: 'release/*', pushAllowed: false, who: 'Maintainers' },
    { pattern: 'release/1*', pushAllowed: true, who: 'Developers + Maintainers' },
    { pattern: 'frozen', pushAllowed: false, who: 'No one' },
  ];
  assert.equal(preReceive({ lines: [`${base} ${child} refs/heads/release/1.0`], rules }).code, 0);
  const other = preReceive({ lines: [`${base} ${child} refs/heads/release/2.0`], rules });
  assert.equal(other.code, 1);
  assert.match(other.stderr, /Branch 'release\/2\.0' is protected: only Maintainers may push to it/);
  const frozen = preReceive({ lines: [`${base} ${child} refs/heads/frozen`], rules });
  assert.match(frozen.stderr, /only No one may push/);
});

test('a Maintainer can push to a protected branch, also create it', () => {
  assert.equal(preReceive({ lines: [`${base} ${child} refs/heads/main`], maintainer: true }).code, 0);
  assert.equal(preReceive({ lines: [`${ZERO} ${child} refs/heads/main`], maintainer: true }).code, 0);
});

test('nobody can force-push to or delete a protected branch', () => {
  const force = preReceive({ lines: [`${child} ${sibling} refs/heads/main`], maintainer: true });
  assert.equal(force.code, 1);
  assert.ok(force.stderr.includes(PROTECTED_FORCE_PUSH_DENIED), force.stderr);
  const del = preReceive({ lines: [`${child} ${ZERO} refs/heads/main`], maintainer: true });
  assert.equal(del.code, 1);
  assert.ok(del.stderr.includes(PROTECTED_DELETE_DENIED), del.stderr);
});

test('one refused ref refuses the push; every refusal is reported', () => {
  const r = preReceive({ lines: [`${base} ${sibling} refs/heads/side`, `${base} ${child} refs/heads/main`, `${base} ${child} refs/heads/release-1`], patterns: ['main', 'release-*'] });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /'main'/);
  assert.match(r.stderr, /'release-1'/);
});

test('wildcards are anchored and span slashes, as on the server', () => {
  const patterns = ['release/*', 'v*-stable'];
  const pushTo = (branch: string) => preReceive({ lines: [`${base} ${child} refs/heads/${branch}`], patterns }).code;
  assert.equal(pushTo('release/1/hotfix'), 1);
  assert.equal(pushTo('v2-stable'), 1);
  assert.equal(pushTo('pre-release/1'), 0);
  assert.equal(pushTo('v2-stable-not'), 0);
  assert.equal(pushTo('release'), 0);
});

test('without KUBEGATE_HOOKS (a push not through Kubegate) the hook allows everything', () => {
  assert.equal(preReceive({ lines: [`${child} ${ZERO} refs/heads/main`], enabled: false }).code, 0);
});

test('post-receive appends the updates to the push log, which parses back', async () => {
  const log = join(work, 'push.log');
  const lines = `${ZERO} ${child} refs/heads/main\n${child} ${ZERO} refs/heads/old\n`;
  const env = { ...gitEnv(), [HOOK_ENV.pushLog]: log };
  assert.equal(spawnSync(join(hooks, 'post-receive'), { input: lines, env }).status, 0);
  assert.deepEqual(parsePushLog(await readFile(log, 'utf8')), [
    { ref: 'refs/heads/main', before: ZERO, after: child },
    { ref: 'refs/heads/old', before: child, after: ZERO },
  ]);
  assert.equal(spawnSync(join(hooks, 'post-receive'), { input: lines, env: gitEnv() }).status, 0, 'no log, no-op');
});

test('parsePushLog ignores anything that is not an update line', () => {
  assert.deepEqual(parsePushLog(`garbage\n${ZERO} ${child}\n${ZERO} ${child} refs/heads/a b\n\n`), []);
});

test('installHooks writes executable hooks and is idempotent', async () => {
  await installHooks(hooks);
  for (const [name, script] of Object.entries(HOOK_SCRIPTS)) {
    assert.equal(await readFile(join(hooks, name), 'utf8'), script);
    assert.ok(((await stat(join(hooks, name))).mode & 0o111) !== 0, `${name} is executable`);
  }
  await writeFile(join(hooks, 'pre-receive'), 'stale', { mode: 0o755 });
  await installHooks(hooks);
  assert.equal(await readFile(join(hooks, 'pre-receive'), 'utf8'), HOOK_SCRIPTS['pre-receive']);
});

test('protectedBranchesEnv: one rule per line, other glob characters widened to *', () => {
  const rule = (pattern: string, pushAllowed = false) => ({ pattern, pushAllowed, who: 'Maintainers' });
  assert.equal(protectedBranchesEnv([rule('main', true), rule('rel?ase'), rule('x[ab]'), rule('bad\nline')]), '1 main Maintainers\n0 rel*ase Maintainers\n0 x*ab* Maintainers');
});
