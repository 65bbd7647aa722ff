import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSmallChunks } from './stream.js';

const chunk = (size: number, fill = 1): { chunk: Buffer } => ({ chunk: Buffer.alloc(size, fill) });

test('small chunks are merged into one message, large ones are passed through uncopied', () => {
  const large = chunk(256 * 1024, 9);
  const out = mergeSmallChunks([chunk(9, 1), chunk(100, 2), large, chunk(9, 3)]);
  assert.deepEqual(out.map((b) => b.length), [109, 256 * 1024, 9]);
  assert.equal(out[1], large.chunk, 'the large chunk is the same buffer');
  assert.equal(out[0]![0], 1);
  assert.equal(out[0]![108], 2);
});

test('the bytes and their order are kept', () => {
  const input = Array.from({ length: 50 }, (_, i) => chunk((i * 7919) % 40_000, i));
  const out = mergeSmallChunks(input);
  assert.ok(Buffer.concat(out).equals(Buffer.concat(input.map((c) => c.chunk))));
});
