import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, sleep } from './backoff.js';
import { RECONNECT_MAX_BACKOFF_MS, RECONNECT_MIN_BACKOFF_MS } from './defaults.js';

test('backoff doubles from 1 s to 20 s, jittered between half the ceiling and the ceiling', () => {
  const min = RECONNECT_MIN_BACKOFF_MS;
  const max = RECONNECT_MAX_BACKOFF_MS;
  const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000];
  ceilings.forEach((ceiling, attempt) => {
    assert.equal(backoffDelay(attempt, min, max, () => 0), ceiling / 2);
    assert.equal(backoffDelay(attempt, min, max, () => 1), ceiling);
  });
  assert.equal(backoffDelay(1_000, min, max, () => 1), max, 'huge attempt counts stay capped');
});

test('sleep ends at once when the signal aborts', async () => {
  const controller = new AbortController();
  const slept = sleep(3_600_000, controller.signal);
  controller.abort();
  await slept;
  await sleep(3_600_000, AbortSignal.abort());
});
