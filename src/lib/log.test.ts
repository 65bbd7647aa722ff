import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactQuery } from './log.js';

test('request URLs are logged without the values of secret-looking query parameters', () => {
  assert.equal(redactQuery('/api/v4/projects?page=2&per_page=20'), '/api/v4/projects?page=2&per_page=20');
  assert.equal(redactQuery('/api/v4/user?private_token=glpat-123'), '/api/v4/user?private_token=[redacted]');
  assert.equal(redactQuery('/api/v4/application/settings?eks_account_id=123456789012&eks_secret_access_key=s3cr3t'), '/api/v4/application/settings?eks_account_id=123456789012&eks_secret_access_key=[redacted]');
  assert.equal(redactQuery('/x?%70rivate_token=y&job_token=z&flag'), '/x?%70rivate_token=[redacted]&job_token=[redacted]&flag');
  assert.equal(redactQuery('/no/query'), '/no/query');
});
