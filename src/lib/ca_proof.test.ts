import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caProof, parseProofRequest, proofHolds, proofRequest, tokenDigest } from './ca_proof.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('a proof made with the token\'s digest holds; one for another CA, nonce or token does not', () => {
  const request = proofRequest('kgagent-abc');
  const parsed = parseProofRequest(request.header)!;
  assert.equal(parsed.hint, tokenDigest('kgagent-abc').slice(0, 16), 'the hint is the digest\'s first 16 hex digits, not the token');
  assert.ok(!request.header.includes('kgagent'));
  const good = caProof(tokenDigest('kgagent-abc'), parsed.nonce, CA);
  assert.ok(proofHolds(good, request.digest, request.nonce, CA));
  assert.ok(proofHolds(`${'0'.repeat(64)}, ${good}`, request.digest, request.nonce, CA), 'one of several');
  assert.ok(!proofHolds(good, request.digest, request.nonce, CA.replace('MIIB', 'MIIC')), 'another CA');
  assert.ok(!proofHolds(caProof(tokenDigest('kgagent-other'), parsed.nonce, CA), request.digest, request.nonce, CA), 'another token');
  assert.ok(!proofHolds(caProof(request.digest, 'f'.repeat(32), CA), request.digest, request.nonce, CA), 'a replayed nonce');
  assert.ok(!proofHolds(undefined, request.digest, request.nonce, CA));
  assert.equal(parseProofRequest('zz.yy'), null);
});
