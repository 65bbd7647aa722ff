/**
 * The Kubernetes identity of a CI job's requests (DESIGN.md §4), checked against the
 * example of documents 000/001: group1 (23) / group1-1 (25) / project1 (150), job in
 * environment `prod` of tier `production`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityFor, type IdentityFacts } from './identity.js';

const FACTS: IdentityFacts = {
  agentId: 7,
  configProjectId: 3,
  projectId: 150,
  groupIds: [23, 25],
  pipelineId: 900,
  jobId: 1074499489,
  username: 'jane',
  environment: { slug: 'prod', tier: 'production' },
};

test('ci_job with an environment: the groups of the document, in its order, and every extra', () => {
  const identity = identityFor({ kind: 'ci_job' }, FACTS);
  assert.deepEqual(identity, {
    kind: 'impersonate',
    username: 'gitlab:ci_job:1074499489',
    groups: [
      'gitlab:ci_job',
      'gitlab:group:23',
      'gitlab:group_env_tier:23:production',
      'gitlab:group:25',
      'gitlab:group_env_tier:25:production',
      'gitlab:project:150',
      'gitlab:project_env:150:prod',
      'gitlab:project_env_tier:150:production',
    ],
    extra: {
      'agent.gitlab.com/id': ['7'],
      'agent.gitlab.com/config_project_id': ['3'],
      'agent.gitlab.com/project_id': ['150'],
      'agent.gitlab.com/ci_pipeline_id': ['900'],
      'agent.gitlab.com/ci_job_id': ['1074499489'],
      'agent.gitlab.com/username': ['jane'],
      'agent.gitlab.com/environment_slug': ['prod'],
      'agent.gitlab.com/environment_tier': ['production'],
    },
  });
});

test('ci_job without an environment: no tier or environment groups, no environment extras', () => {
  const identity = identityFor({ kind: 'ci_job' }, { ...FACTS, environment: null });
  assert.equal(identity.kind, 'impersonate');
  if (identity.kind !== 'impersonate') return;
  assert.deepEqual(identity.groups, ['gitlab:ci_job', 'gitlab:group:23', 'gitlab:group:25', 'gitlab:project:150']);
  assert.deepEqual(Object.keys(identity.extra), [
    'agent.gitlab.com/id',
    'agent.gitlab.com/config_project_id',
    'agent.gitlab.com/project_id',
    'agent.gitlab.com/ci_pipeline_id',
    'agent.gitlab.com/ci_job_id',
    'agent.gitlab.com/username',
  ]);
  assert.equal(identity.uid, undefined);
});

test('ci_job in a user namespace: no group groups at all', () => {
  const identity = identityFor({ kind: 'ci_job' }, { ...FACTS, groupIds: [], environment: { slug: 'review-x-abc123', tier: 'development' } });
  assert.equal(identity.kind, 'impersonate');
  if (identity.kind !== 'impersonate') return;
  assert.deepEqual(identity.groups, ['gitlab:ci_job', 'gitlab:project:150', 'gitlab:project_env:150:review-x-abc123', 'gitlab:project_env_tier:150:development']);
});

test('agent: no impersonation at all (the ServiceAccount acts)', () => {
  assert.deepEqual(identityFor({ kind: 'agent' }, FACTS), { kind: 'agent' });
});

test('impersonate: the configured username, uid, groups and extra, nothing of the job', () => {
  const identity = identityFor(
    {
      kind: 'impersonate',
      username: 'deployer',
      uid: 'u-1',
      groups: ['deployers', 'ops'],
      extra: [
        { key: 'team', val: ['a'] },
        { key: 'reason', val: ['ci', 'deploy'] },
        { key: 'team', val: ['b'] },
      ],
    },
    FACTS,
  );
  assert.deepEqual(identity, {
    kind: 'impersonate',
    username: 'deployer',
    uid: 'u-1',
    groups: ['deployers', 'ops'],
    // A key given twice keeps every value, in file order.
    extra: { team: ['a', 'b'], reason: ['ci', 'deploy'] },
  });
});

test('impersonate without uid, groups or extra', () => {
  const identity = identityFor({ kind: 'impersonate', username: 'viewer', groups: [], extra: [] }, FACTS);
  assert.deepEqual(identity, { kind: 'impersonate', username: 'viewer', uid: undefined, groups: [], extra: {} });
});

test('the configured groups are copied, not shared with the configuration in force', () => {
  const groups = ['a'];
  const identity = identityFor({ kind: 'impersonate', username: 'x', groups, extra: [] }, FACTS);
  assert.ok(identity.kind === 'impersonate');
  identity.groups.push('b');
  assert.deepEqual(groups, ['a']);
});
