import { test } from 'node:test';
import assert from 'node:assert/strict';
import { versionWarnings } from './versions.js';

test('an agent within one minor version of the server has no warning', () => {
  assert.deepEqual(versionWarnings('1.5.0', ['1.4.9', '1.5.2', '1.6.0']).filter((w) => w.type === 'agent_version_mismatch'), []);
});

test('an agent more than one minor (or a major) away is flagged with what to do', () => {
  const [w] = versionWarnings('1.5.0', ['1.3.0']);
  assert.equal(w!.type, 'agent_version_mismatch');
  assert.match(w!.message, /1\.3\.0 is more than one minor version behind the server \(1\.5\.0\); upgrade the agent to 1\.5/);
  assert.equal(versionWarnings('2.0.0', ['1.9.0'])[0]!.type, 'agent_version_mismatch');
  assert.match(versionWarnings('2.0.0', ['1.9.0'])[0]!.message, /behind the server.*upgrade the agent to 2\.0/);
});

test('an agent newer than the server is not told to "upgrade" to the older version', () => {
  for (const [server, agent, upgradeServerTo] of [['1.5.0', 'v1.7.1', '1.7'], ['1.9.0', '2.0.0', '2.0']] as const) {
    const [w] = versionWarnings(server, [agent]);
    assert.equal(w!.type, 'agent_version_mismatch');
    assert.match(w!.message, new RegExp(`${agent.replace(/\./g, '\\.')} is newer than the server \\(${server.replace(/\./g, '\\.')}\\) by more than one minor version; upgrade the server to ${upgradeServerTo.replace('.', '\\.')}`));
    assert.doesNotMatch(w!.message, /upgrade the agent/);
  }
});

test('versions are listed in numeric order (1.9 before 1.10)', () => {
  const [w] = versionWarnings('1.10.0', ['1.10.0', '1.9.0']);
  assert.match(w!.message, /\(1\.9\.0, 1\.10\.0\)/);
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
