import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCgiHead } from './cgi.js';

test('a head with CRLF lines, Status and a body after the empty line', () => {
  const buf = Buffer.from('Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\n\r\nbody bytes');
  const head = parseCgiHead(buf)!;
  assert.equal(head.status, 403);
  assert.equal(head.statusText, 'Forbidden');
  assert.deepEqual(head.headers, [
    ['Content-Type', 'text/plain'],
    ['Expires', 'Fri, 01 Jan 1980 00:00:00 GMT'],
  ]);
  assert.equal(buf.subarray(head.bodyStart).toString(), 'body bytes');
});

test('LF-only lines, no Status means 200, the body may be binary', () => {
  const body = Buffer.from([0x00, 0x0a, 0x0d, 0x0a, 0xff]);
  const buf = Buffer.concat([Buffer.from('Content-Type: application/x-git-upload-pack-result\n\n'), body]);
  const head = parseCgiHead(buf)!;
  assert.equal(head.status, 200);
  assert.deepEqual(buf.subarray(head.bodyStart), body);
});

test('an incomplete head is null until the empty line arrives', () => {
  assert.equal(parseCgiHead(Buffer.from('Content-Type: text/plain\r\n')), null);
  assert.equal(parseCgiHead(Buffer.from('Content-Type: text/pl')), null);
  assert.equal(parseCgiHead(Buffer.alloc(0)), null);
  assert.notEqual(parseCgiHead(Buffer.from('Content-Type: text/plain\r\n\r\n')), null);
});

test('hop-by-hop headers are dropped; a bare Location is a 302', () => {
  const head = parseCgiHead(Buffer.from('Location: /x\nTransfer-Encoding: chunked\nConnection: close\n\n'))!;
  assert.equal(head.status, 302);
  assert.deepEqual(head.headers, [['Location', '/x']]);
});

test('malformed heads are errors', () => {
  assert.throws(() => parseCgiHead(Buffer.from('no colon here\n\n')), /malformed CGI header line/);
  assert.throws(() => parseCgiHead(Buffer.from('Bad Name: x\n\n')), /malformed CGI header name/);
  assert.throws(() => parseCgiHead(Buffer.from('Status: teapot\n\n')), /malformed CGI Status/);
});

test('an empty head (the body starts at once) is a 200 with no headers', () => {
  const head = parseCgiHead(Buffer.from('\r\nrest'))!;
  assert.equal(head.status, 200);
  assert.equal(head.bodyStart, 2);
});
