import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstInvalidUtf8, invalidUtf8Message, jsonPathAt } from './json_body.js';

test('firstInvalidUtf8 finds the first byte of a bad sequence, and accepts all of valid UTF-8', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('plain ascii')), 11);
  assert.equal(firstInvalidUtf8(Buffer.from('é日本😀')), Buffer.byteLength('é日本😀'));
  const cases: Array<[number[], number]> = [
    [[0x61, 0xff], 1],
    [[0x61, 0xc3], 1], // truncated
    [[0xc0, 0xaf], 0], // overlong
    [[0xed, 0xa0, 0x80], 0], // an encoded surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0xe2, 0x82, 0x41], 0], // a bad continuation byte
  ];
  for (const [bytes, at] of cases) assert.equal(firstInvalidUtf8(Buffer.from(bytes)), at, JSON.stringify(bytes));
});

test('jsonPathAt names the field a position is in', () => {
  assert.equal(jsonPathAt('{"name":"ab'), 'name');
  assert.equal(jsonPathAt('{"name":"a","description":"x'), 'description');
  assert.equal(jsonPathAt('{"deploy_access_levels":[{"access_level":40},{"name":"'), 'deploy_access_levels[1].name');
  assert.equal(jsonPathAt('{"a":{"b\\"c":"x'), 'a.b"c');
  assert.equal(jsonPathAt('{"na'), 'a key in the body');
  assert.equal(jsonPathAt('["x","'), '[1]');
});

test('invalidUtf8Message says which field, which byte and where', () => {
  const body = Buffer.concat([Buffer.from('{"name":"ok","description":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
  assert.equal(invalidUtf8Message(body), '400 Bad Request: description is not valid UTF-8 (byte 0xE9 at offset 31); send the body as UTF-8');
});
