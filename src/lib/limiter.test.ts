import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from './limiter.js';

test('Limiter: at most max holders, a bounded queue served in order, refusals past it', async () => {
  const limiter = new Limiter(2, 1);
  const a = await limiter.acquire();
  const b = await limiter.acquire();
  assert.ok(a && b);
  assert.equal(limiter.tryAcquire(), null, 'no slot without waiting');
  let cGot = false;
  const c = limiter.acquire().then((release) => {
    cGot = true;
    return release;
  });
  assert.equal(await limiter.acquire(), null, 'the queue is full: refused at once');
  assert.equal(limiter.queued, 1);
  await Promise.resolve();
  assert.equal(cGot, false);
  a();
  a(); // releasing twice is harmless
  const releaseC = await c;
  assert.ok(releaseC);
  assert.equal(limiter.held, 2);
  b();
  releaseC();
  assert.equal(limiter.held, 0);
});
