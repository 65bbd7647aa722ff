import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestKey, editDistance } from './suggest.js';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('groups', 'gruops'), 1);
  assert.equal(editDistance('project', 'projects'), 1);
});

test('closest key: typos find their key, unrelated words find nothing', () => {
  const entryKeys = ['id', 'default_namespace', 'access_as', 'environments', 'protected_branches_only'];
  const cases: Array<[typed: string, valid: string[], expected: string | undefined]> = [
    ['project', ['projects', 'groups'], 'projects'],
    ['group', ['projects', 'groups'], 'groups'],
    ['Projects', ['projects', 'groups'], 'projects'],
    ['gruops', ['projects', 'groups'], 'groups'],
    ['default-namespace', entryKeys, 'default_namespace'],
    ['defaultNamespace', entryKeys, 'default_namespace'],
    ['protected_branch_only', entryKeys, 'protected_branches_only'],
    ['enviroments', entryKeys, 'environments'],
    ['environment', entryKeys, 'environments'],
    ['ID', entryKeys, 'id'],
    ['acces_as', entryKeys, 'access_as'],
    ['user', ['username', 'uid', 'groups', 'extra'], 'username'],
    ['ci-job', ['agent', 'ci_job', 'impersonate'], 'ci_job'],
    ['impersonation', ['agent', 'ci_job', 'impersonate'], 'impersonate'],
    ['namespace', entryKeys, undefined],
    ['foo', entryKeys, undefined],
    ['x', ['id'], undefined],
  ];
  for (const [typed, valid, expected] of cases) assert.equal(closestKey(typed, valid), expected, typed);
});
