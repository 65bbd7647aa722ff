import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIdentity, encodeIdentity, escapeExtraKey, impersonationHeaders, type Identity } from './shared.js';

test('extra keys are escaped exactly as client-go does', () => {
  // client-go's headerKeyEscape keeps HTTP token characters except '%'.
  assert.equal(escapeExtraKey('agent.gitlab.com/id'), 'agent.gitlab.com%2Fid');
  assert.equal(escapeExtraKey('Scopes'), 'Scopes');
  assert.equal(escapeExtraKey('a%b'), 'a%25b');
  assert.equal(escapeExtraKey('a b'), 'a%20b');
  assert.equal(escapeExtraKey('ключ'), '%D0%BA%D0%BB%D1%8E%D1%87');
});

test('an impersonation identity becomes Impersonate-* headers', () => {
  const identity: Identity = { kind: 'impersonate', username: 'gitlab:ci_job:7', uid: 'u-1', groups: ['gitlab:ci_job', 'gitlab:project:3'], extra: { 'agent.gitlab.com/id': ['1'], 'agent.gitlab.com/username': ['root'] } };
  assert.deepEqual(impersonationHeaders(identity), {
    'impersonate-user': 'gitlab:ci_job:7',
    'impersonate-uid': 'u-1',
    'impersonate-group': ['gitlab:ci_job', 'gitlab:project:3'],
    'impersonate-extra-agent.gitlab.com%2Fid': ['1'],
    'impersonate-extra-agent.gitlab.com%2Fusername': ['root'],
  });
  assert.deepEqual(impersonationHeaders({ kind: 'agent' }), {});
});

test('identities survive the header round trip; malformed ones are refused', () => {
  const identity: Identity = { kind: 'impersonate', username: 'u', groups: ['g'], extra: { k: ['v'] } };
  assert.deepEqual(decodeIdentity(encodeIdentity(identity)), identity);
  assert.deepEqual(decodeIdentity(encodeIdentity({ kind: 'agent' })), { kind: 'agent' });
  assert.throws(() => decodeIdentity('not base64 json'));
  assert.throws(() => decodeIdentity(Buffer.from(JSON.stringify({ kind: 'impersonate', username: '' })).toString('base64url')), /malformed/);
  assert.throws(() => decodeIdentity(Buffer.from(JSON.stringify({ kind: 'impersonate', username: 'u', groups: [1], extra: {} })).toString('base64url')), /groups/);
  assert.throws(() => decodeIdentity(Buffer.from(JSON.stringify({ kind: 'other' })).toString('base64url')), /malformed/);
});
