import { test } from 'node:test';
import assert from 'node:assert/strict';
import { versionWarnings } from './versions.js';

test('an agent within one minor version of the server has no warning', () => {
  assert.deepEqual(versionWarnings('1.5.0', ['1.4.9', '1.5.2', '1.6.0']).filter((w) => w.type === 'agent_version_mismatch'), []);
});

test('an agent more than one minor (or a major) away is flagged with what to do', () => {
  const [w] = versionWarnings('1.5.0', ['1.3.0']);
  assert.equal(w!.type, 'agent_version_mismatch');
  assert.match(w!.message, /1\.3\.0 is more than one minor version away.*upgrade the agent to 1\.5/);
  assert.equal(versionWarnings('2.0.0', ['1.9.0'])[0]!.type, 'agent_version_mismatch');
  assert.equal(versionWarnings('1.5.0', ['v1.7.1'])[0]!.type, 'agent_version_mismatch');
});

test('pods of one agent on different versions are flagged', () => {
  const warnings = versionWarnings('1.5.0', ['1.5.0', '1.5.1', '1.5.0']);
  assert.deepEqual(warnings.map((w) => w.type), ['agent_versions_differ']);
  assert.match(warnings[0]!.message, /1\.5\.0, 1\.5\.1/);
});

test('no connections, or unparseable versions, give no warning', () => {
  assert.deepEqual(versionWarnings('1.5.0', []), []);
  assert.deepEqual(versionWarnings('1.5.0', ['', 'dev']), []);
});
