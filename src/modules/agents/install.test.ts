import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { installJson } from './install.js';

function recordingLog(): FastifyBaseLogger & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  return { lines, error: (...args: unknown[]) => void lines.push(args) } as unknown as FastifyBaseLogger & { lines: unknown[][] };
}

test('the install options reach the charts module, and its answer is shown in snake case', () => {
  const log = recordingLog();
  const seen: unknown[] = [];
  const json = installJson(
    (agentName, token, options) => {
      seen.push([agentName, token, options]);
      return { chartRepositoryUrl: 'u', releaseName: 'r', namespace: 'n', caCert: null, caCertFile: null, command: 'helm …\n' };
    },
    'prod',
    'kgagent-x',
    { install_ca_cert_file: '/ca.pem', install_namespace: 'agents' },
    log,
  );
  assert.deepEqual(seen, [['prod', 'kgagent-x', { caCertFile: '/ca.pem', releaseName: undefined, namespace: 'agents' }]]);
  assert.deepEqual(json, { command: 'helm …\n', chart_repository_url: 'u', helm_release_name: 'r', namespace: 'n', ca_cert: null, ca_cert_file: null });
});

test('a failure to write the command leaves `install` out (and is logged) rather than losing the new token', () => {
  const log = recordingLog();
  const json = installJson(() => { throw new Error('ENOENT: chain.pem'); }, 'prod', 'kgagent-x', {}, log);
  assert.equal(json, undefined);
  assert.equal(log.lines.length, 1);
  assert.ok(!JSON.stringify(log.lines).includes('kgagent-x'), 'the token is not logged');
  assert.equal(installJson(undefined, 'prod', 'kgagent-x', {}, log), undefined);
});
