import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentMatches, environmentsAllow } from './environment_match.js';

test('environment patterns: * is any run of characters, anchored, the rest literal and case-sensitive', () => {
  const cases: Array<[pattern: string, name: string, matches: boolean]> = [
    ['review/*', 'review/feature-1', true],
    ['review/*', 'review/', true],
    ['review/*', 'review/a/b/c', true],
    ['review/*', 'review', false],
    ['review/*', 'pre-review/x', false],
    ['prod*', 'production', true],
    ['prod*', 'prod', true],
    ['prod*', 'nonprod', false],
    ['*prod', 'nonprod', true],
    ['*prod', 'production', false],
    ['*', 'anything/at/all', true],
    ['*', '', true],
    ['**', 'x', true],
    ['production', 'production', true],
    ['production', 'Production', false],
    ['production', 'production-eu', false],
    ['production', 'pre-production', false],
    ['staging', 'stag', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+', 'aa', false],
    ['a+', 'a+', true],
    ['(x)|y', 'y', false],
    ['[ab]', 'a', false],
    ['^prod$', 'prod', false],
    ['env?', 'envs', false],
    ['a\\b', 'a\\b', true],
    ['*-eu-*', 'prod-eu-1', true],
    ['*-eu-*', 'prod-us-1', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['a*a*a*a*a*b', 'a'.repeat(200), false],
    ['', '', true],
    ['', 'x', false],
  ];
  for (const [pattern, name, expected] of cases) {
    assert.equal(environmentMatches(pattern, name), expected, `${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`);
  }
});

test('an entry with environments lets only matching jobs in, and never a job without an environment', () => {
  assert.equal(environmentsAllow(undefined, undefined), true);
  assert.equal(environmentsAllow(undefined, 'production'), true);
  assert.equal(environmentsAllow(['staging', 'review/*'], 'review/x'), true);
  assert.equal(environmentsAllow(['staging', 'review/*'], 'production'), false);
  assert.equal(environmentsAllow(['*'], undefined), false);
});
