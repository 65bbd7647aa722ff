import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidFilePath, invalidRef, looksLikeObjectId, validateFilePath, validateRef } from './names.js';
import { KubegateError } from '../../lib/errors.js';

test('refs: branches, tags, full refs, HEAD and commit ids pass', () => {
  for (const ok of ['main', 'feature/x-1', 'v1.2.3', 'refs/heads/main', 'HEAD', 'a1b2c3d', 'release_2024', 'user@host']) {
    assert.equal(invalidRef(ok), null, ok);
  }
});

test('refs: anything git would read as an option or revision syntax is refused', () => {
  const bad = ['', '-main', '--upload-pack=x', 'main..dev', 'main~1', 'main^', 'HEAD:file', 'main@{1}', '@', 'a b', 'a\nb', 'a\0b', '*', 'x?', '[x', 'a\\b', '/main', 'main/', 'a//b', 'main.', 'main.lock', '.hidden', 'a/.b', 'x'.repeat(1025)];
  for (const ref of bad) assert.notEqual(invalidRef(ref), null, JSON.stringify(ref));
});

test('file paths: relative, slash-separated, no dot parts, no leading dash, one line', () => {
  for (const ok of ['README.md', '.gitlab/agents/a/config.yaml', 'dir with space/f.txt', 'a-b/-c', 'ünïcode/ファイル', '.env']) {
    assert.equal(invalidFilePath(ok), null, ok);
  }
  const bad = ['', '/etc/passwd', '../x', 'a/../b', 'a/./b', '.', 'a//b', 'dir/', '-rf', 'a\nb', 'a\0b', 'x'.repeat(5000)];
  for (const path of bad) assert.notEqual(invalidFilePath(path), null, JSON.stringify(path));
});

test('validation errors are 400s that name the field and the way out', () => {
  assert.throws(() => validateRef('-x'), (err: unknown) => err instanceof KubegateError && err.status === 400 && /^ref cannot start with '-'.*branch, a tag or a commit id/.test(err.message));
  assert.throws(() => validateFilePath('a/../b'), (err: unknown) => err instanceof KubegateError && err.status === 400 && /^file_path cannot contain '\.' or '\.\.' parts/.test(err.message));
  assert.equal(validateRef('main'), 'main');
});

test('commit ids: 4 to 64 hex digits', () => {
  assert.ok(looksLikeObjectId('abcd'));
  assert.ok(looksLikeObjectId('0123456789abcdef0123456789abcdef01234567'));
  assert.ok(!looksLikeObjectId('abc'));
  assert.ok(!looksLikeObjectId('main'));
});
