import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastCommitFor, readFileAtCommit, readFileAtRef, resolveRef } from './reader.js';
import { gitEnv } from './git.js';
import { KubegateError } from '../../lib/errors.js';

let work: string;
let gitDir: string;
let first: string;
let second: string;

function git(...args: string[]): string {
  const env = { ...gitEnv(), GIT_LITERAL_PATHSPECS: '0', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
  return execFileSync('git', ['-C', work, ...args], { env }).toString().trim();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kubegate-reader-'));
  gitDir = join(work, '.git');
  git('init', '--quiet', '--initial-branch=main');
  await mkdir(join(work, '.gitlab/agents/a'), { recursive: true });
  await writeFile(join(work, '.gitlab/agents/a/config.yaml'), 'ci_access: {}\n');
  await writeFile(join(work, 'other.txt'), 'one\n');
  await writeFile(join(work, ':(glob)*'), 'magic name\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'first');
  first = git('rev-parse', 'HEAD');
  await writeFile(join(work, 'other.txt'), 'two\n');
  await writeFile(join(work, 'run.sh'), '#!/bin/sh\n');
  await chmod(join(work, 'run.sh'), 0o755);
  await symlink('other.txt', join(work, 'link'));
  git('add', '-A');
  git('commit', '--quiet', '-m', 'second');
  second = git('rev-parse', 'HEAD');
  git('tag', 'v1', first);
  git('branch', 'feature/x', first);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('resolveRef: branches, tags, full refs, HEAD, full and short commit ids', async () => {
  assert.equal(await resolveRef(gitDir, 'main'), second);
  assert.equal(await resolveRef(gitDir, 'feature/x'), first);
  assert.equal(await resolveRef(gitDir, 'v1'), first);
  assert.equal(await resolveRef(gitDir, 'refs/heads/main'), second);
  assert.equal(await resolveRef(gitDir, 'HEAD'), second);
  assert.equal(await resolveRef(gitDir, first), first);
  assert.equal(await resolveRef(gitDir, first.slice(0, 10).toUpperCase()), first);
});

test('resolveRef: unknown refs and non-commits are null; invalid refs are 400', async () => {
  assert.equal(await resolveRef(gitDir, 'nope'), null);
  assert.equal(await resolveRef(gitDir, 'deadbeefdeadbeef'), null);
  const blob = git('rev-parse', `${first}:other.txt`);
  assert.equal(await resolveRef(gitDir, blob), null, 'a blob id is not a commit');
  await assert.rejects(resolveRef(gitDir, '--output=/tmp/x'), (err: unknown) => err instanceof KubegateError && err.status === 400);
  await assert.rejects(resolveRef(gitDir, 'main:other.txt'), (err: unknown) => err instanceof KubegateError && err.status === 400);
});

test('readFileAtRef: content, blob and commit ids, at the ref asked for', async () => {
  const now = await readFileAtRef(gitDir, 'main', 'other.txt');
  assert.equal(now?.content.toString(), 'two\n');
  assert.equal(now?.commitId, second);
  assert.equal(now?.blobId, git('rev-parse', `${second}:other.txt`));
  assert.equal(now?.mode, '100644');
  const then = await readFileAtRef(gitDir, 'v1', 'other.txt');
  assert.equal(then?.content.toString(), 'one\n');
  const nested = await readFileAtRef(gitDir, 'main', '.gitlab/agents/a/config.yaml');
  assert.equal(nested?.content.toString(), 'ci_access: {}\n');
  assert.equal((await readFileAtRef(gitDir, 'main', 'run.sh'))?.mode, '100755');
  assert.equal((await readFileAtRef(gitDir, 'main', 'link'))?.content.toString(), 'other.txt', 'a symlink reads as its target, as in GitLab');
});

test('readFileAtRef: missing files, directories and refs are null', async () => {
  assert.equal(await readFileAtRef(gitDir, 'main', 'missing.txt'), null);
  assert.equal(await readFileAtRef(gitDir, 'main', '.gitlab/agents'), null);
  assert.equal(await readFileAtRef(gitDir, 'main', '.gitlab/agents/a/config'), null);
  assert.equal(await readFileAtRef(gitDir, 'nope', 'other.txt'), null);
  assert.equal(await readFileAtRef(gitDir, 'v1', 'run.sh'), null, 'not there yet at v1');
});

test('file paths are literal: pathspec magic matches only a file of that name', async () => {
  assert.equal((await readFileAtRef(gitDir, 'main', ':(glob)*'))?.content.toString(), 'magic name\n');
  assert.equal(await readFileAtRef(gitDir, 'main', '*.txt'), null);
  await assert.rejects(readFileAtRef(gitDir, 'main', '../etc/passwd'), (err: unknown) => err instanceof KubegateError && err.status === 400);
});

test('readFileAtCommit refuses files over the limit with a 413 that says to clone', async () => {
  await assert.rejects(readFileAtCommit(gitDir, second, 'other.txt', 2), (err: unknown) => err instanceof KubegateError && err.status === 413 && /clone/.test(err.message));
});

test('lastCommitFor: the last commit that changed the path', async () => {
  assert.equal(await lastCommitFor(gitDir, second, 'other.txt'), second);
  assert.equal(await lastCommitFor(gitDir, second, '.gitlab/agents/a/config.yaml'), first);
});
