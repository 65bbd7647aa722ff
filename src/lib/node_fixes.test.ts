import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// Installed in a child process: the test runner's own process keeps Node's bind.
const script = `
import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncResourceBind } from './src/lib/node_fixes.ts';
const hadAccessor = Object.getOwnPropertyDescriptor(new AsyncResource('x').bind(() => 1), 'asyncResource') !== undefined;
const installed = installLeanAsyncResourceBind();
assert.equal(installed, hadAccessor, 'installed exactly when Node adds the deprecated accessor');
assert.equal(installLeanAsyncResourceBind(), false, 'a second call changes nothing');
const als = new AsyncLocalStorage();
const resource = als.run('captured', () => new AsyncResource('test'));
function probe(a, b) { return { store: als.getStore(), self: this, args: [a, b] }; }
const bound = resource.bind(probe);
const withThis = resource.bind(probe, 'fixed');
als.run('caller', () => {
  const r = bound.call('caller-this', 1, 2);
  assert.equal(r.store, 'captured', 'runs in the resource\\'s async context');
  assert.equal(r.self, 'caller-this');
  assert.deepEqual(r.args, [1, 2]);
  assert.equal(withThis.call('ignored', 3).self, 'fixed');
  assert.equal(AsyncResource.bind(probe)(4).args[0], 4, 'the static bind goes through it too');
});
assert.equal(bound.length, 2);
assert.equal(Object.getOwnPropertyDescriptor(bound, 'asyncResource'), undefined);
assert.throws(() => resource.bind('not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
console.log('ok', installed);
`;

test('the lean AsyncResource#bind keeps the async context, this and length, minus the deprecated accessor', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^ok (true|false)/);
  // Node 20, which Kubegate runs on, adds the accessor: there the fix must be in place.
  if (process.versions.node.startsWith('20.')) assert.match(run.stdout, /^ok true/);
});

