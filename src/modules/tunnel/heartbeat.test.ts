import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SilenceClock } from './heartbeat.js';

function clockAt(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (value) => (t = value) };
}

test('a peer heard at every tick is never silent for more than one interval', () => {
  const time = clockAt(0);
  const silence = new SilenceClock(20, time.now);
  for (let t = 20; t <= 2_000; t += 20) {
    time.set(t - 19);
    silence.heard();
    time.set(t);
    assert.ok(silence.tick() <= 20);
  }
});

test('a silent peer reaches the timeout after that much time of on-time ticks', () => {
  const time = clockAt(0);
  const silence = new SilenceClock(20, time.now);
  const silentAt: number[] = [];
  for (let t = 20; t <= 100; t += 20) {
    time.set(t);
    silentAt.push(silence.tick());
  }
  assert.deepEqual(silentAt, [20, 40, 60, 80, 100]);
});

test('a stall of our own process counts as at most one and a half intervals of silence', () => {
  const time = clockAt(0);
  const silence = new SilenceClock(20, time.now);
  time.set(20);
  assert.equal(silence.tick(), 20);
  // The event loop was blocked for a second: the peer could not be heard meanwhile.
  time.set(1_020);
  assert.equal(silence.tick(), 50);
  silence.heard();
  time.set(1_040);
  assert.equal(silence.tick(), 20);
});

test('a peer that stays silent across stalls is still dropped eventually', () => {
  const time = clockAt(0);
  const silence = new SilenceClock(20, time.now);
  let t = 0;
  let ticks = 0;
  while (silence.tick() < 100) {
    t += 500; // every tick late
    time.set(t);
    ticks++;
  }
  assert.equal(ticks, 4, '30 ms per late tick: the fourth reaches 100 ms');
});
