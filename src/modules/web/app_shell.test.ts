import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servesAppShell } from './app_shell.js';

test('client routes get the app; machine interfaces keep their own 404', () => {
  for (const page of ['/', '/dashboard/projects', '/groups/platform', '/platform/clusters', '/platform/clusters/-/clusters', '/platform/clusters/-/cluster_agents/prod', '/a/my.project']) {
    assert.equal(servesAppShell(page), true, page);
  }
  for (const machine of ['/api', '/api/v4/nope', '/-/session', '/-/kubernetes-agent/k8s-proxy/api', '/-/liveness', '/assets/missing.js', '/platform/clusters.git', '/platform/clusters.git/info/refs', '/platform/clusters.GIT/HEAD', '/favicon.ico']) {
    assert.equal(servesAppShell(machine), false, machine);
  }
});
