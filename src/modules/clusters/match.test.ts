import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_DEPTH, defaultNamespace, environmentScopeMatches, pickCluster, type ScopedCluster } from './match.js';

let nextId = 1;
function c(environmentScope: string, depth: number, enabled = true): ScopedCluster & { label: string } {
  return { id: nextId++, environmentScope, depth, enabled, label: `${environmentScope}@${depth === INSTANCE_DEPTH ? 'instance' : depth}` };
}

test('environment scopes: anchored `*`, a job without environment matches only `*`', () => {
  const cases: Array<[scope: string, env: string | null, matches: boolean]> = [
    ['*', 'production', true],
    ['*', null, true],
    ['production', 'production', true],
    ['production', null, false],
    ['review/*', null, false],
    ['production', 'production-eu', false],
    ['review/*', 'review/feature', true],
    ['review/*', 'review', false],
    ['prod*', 'production', true],
    ['prod*', 'nonprod', false],
    ['*-eu', 'prod-eu', true],
    ['Production', 'production', false],
  ];
  for (const [scope, env, matches] of cases) assert.equal(environmentScopeMatches(scope, env), matches, `${scope} vs ${env}`);
});

test('the most specific level wins, then the most specific scope', () => {
  const project = c('*', 0);
  const projectExact = c('production', 0);
  const nearGroup = c('production', 1);
  const farGroup = c('production', 2);
  const instance = c('production', INSTANCE_DEPTH);
  const all = [instance, farGroup, nearGroup, project, projectExact];
  assert.equal(pickCluster(all, 'production')?.label, 'production@0', 'exact beats * within the project');
  assert.equal(pickCluster(all, 'staging')?.label, '*@0', 'the project * beats nothing else matching');
  assert.equal(pickCluster([instance, farGroup, nearGroup], 'production')?.label, 'production@1', 'nearest group beats farther');
  assert.equal(pickCluster([instance, farGroup], 'production')?.label, 'production@2');
  assert.equal(pickCluster([instance], 'production')?.label, 'production@instance');
  assert.equal(pickCluster([c('*', 1), c('production', INSTANCE_DEPTH)], 'production')?.label, '*@1', 'a level beats scope specificity');
});

test('within a level: exact > longer wildcard > shorter wildcard > *', () => {
  const star = c('*', 0);
  const short = c('r*', 0);
  const long = c('review/*', 0);
  const exact = c('review/app', 0);
  assert.equal(pickCluster([star, short, long, exact], 'review/app')?.label, 'review/app@0');
  assert.equal(pickCluster([star, short, long], 'review/app')?.label, 'review/*@0');
  assert.equal(pickCluster([star, short], 'review/app')?.label, 'r*@0');
  assert.equal(pickCluster([star, short, long, exact], 'production')?.label, '*@0');
});

test('a job without environment gets only a `*` cluster; disabled clusters never apply', () => {
  assert.equal(pickCluster([c('production', 0), c('*', 1)], null)?.label, '*@1');
  assert.equal(pickCluster([c('production', 0)], null), undefined);
  assert.equal(pickCluster([c('*', 0, false), c('*', INSTANCE_DEPTH)], 'x')?.label, '*@instance');
  assert.equal(pickCluster([], 'x'), undefined);
});

test("GitLab's default namespace <project path>-<project id>, sanitized", () => {
  assert.equal(defaultNamespace('my-app', 42), 'my-app-42');
  assert.equal(defaultNamespace('My_App.v2', 7), 'my-app-v2-7');
  assert.equal(defaultNamespace('_private', 3), 'private-3');
  assert.equal(defaultNamespace('a'.repeat(70), 1).length, 63);
  assert.doesNotMatch(defaultNamespace(`${'a'.repeat(62)}.b`, 1), /-$/);
});
