import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cancellation } from './server_request.js';

test('a Cancellation runs each listener once, with its reason, and forgets removed ones', () => {
  const c = new Cancellation();
  const calls: string[] = [];
  const first = (): void => void calls.push('first');
  const removed = (): void => void calls.push('removed');
  c.addEventListener('abort', first);
  c.addEventListener('abort', removed);
  c.removeEventListener('abort', removed);
  assert.equal(c.aborted, false);
  const reason = new Error('timeout');
  c.cancel(reason);
  c.cancel(new Error('again'));
  assert.deepEqual(calls, ['first']);
  assert.equal(c.aborted, true);
  assert.equal(c.reason, reason);
  c.addEventListener('abort', () => calls.push('late'));
  assert.deepEqual(calls, ['first'], 'a listener added after the cancel is not kept for a second one');
});
