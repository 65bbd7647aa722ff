import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { redactSecrets, redactUrlSecrets } from './redact.js';
import { createLogger } from './log.js';

test('credential-bearing query parameters are redacted wherever a URL appears', () => {
  const cases: Array<[string, string]> = [
    ['/api/v4/projects?private_token=abc123&page=2', '/api/v4/projects?private_token=[redacted]&page=2'],
    ['GET /api/v4/job?job_token=xyz HTTP/1.1', 'GET /api/v4/job?job_token=[redacted] HTTP/1.1'],
    ['https://h/x?page=1&access_token=a.b.c#frag', 'https://h/x?page=1&access_token=[redacted]#frag'],
    ['/x?PRIVATE-TOKEN=q&password=p&client_secret=s&X-Amz-Signature=f&code=c', '/x?PRIVATE-TOKEN=[redacted]&password=[redacted]&client_secret=[redacted]&X-Amz-Signature=[redacted]&code=[redacted]'],
    ['/x?private%5Ftoken=q', '/x?private%5Ftoken=[redacted]'],
    ['{"url":"/api/v4/user?private_token=s3cr3t"}', '{"url":"/api/v4/user?private_token=[redacted]"}'],
    ['/api/v1/pods?watch=true&labelSelector=a%3Db&timeoutSeconds=5', '/api/v1/pods?watch=true&labelSelector=a%3Db&timeoutSeconds=5'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test("Kubegate's own tokens are redacted anywhere in a line, also inside ci:<agent>:<token>", () => {
  const line = 'Bearer ci:7:kgjob-AbCdEfGhIjKlMnOpQrStUvWxYz012345 and kgpat-test-root-token-0123456789, kgagent-x1y2z3w4v5';
  assert.equal(redactSecrets(line), 'Bearer ci:7:kgjob-[redacted] and kgpat-[redacted], kgagent-[redacted]');
});

test('redactUrlSecrets hides a URL password too', () => {
  assert.equal(redactUrlSecrets('postgres://kg:pw@db/x?sslpassword=z'), 'postgres://kg:[redacted]@db/x?sslpassword=[redacted]');
});

test('every logger line is redacted, whichever field carries the secret', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger('test', { destination });
  log.info({ req: { url: '/api/v4/user?private_token=kgpat-abcdefghijklmnop', headers: { 'private-token': 'plain-secret-value', cookie: 'session=s' } } }, 'incoming request');
  log.warn({ err: new Error('GET https://x/api?job_token=leaky failed') }, 'failed with kgagent-ABCDEFGHIJ0123456789');
  log.info({ headers: { 'job-token': 'another-plain-secret', authorization: 'Bearer xyz-plain' } }, 'headers');
  const all = lines.join('');
  for (const secret of ['kgpat-abcdefghijklmnop', 'plain-secret-value', 'session=s', 'leaky', 'kgagent-ABCDEFGHIJ0123456789', 'another-plain-secret', 'xyz-plain']) {
    assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
  }
  assert.equal(lines.length, 3);
  for (const line of lines) JSON.parse(line);
});
