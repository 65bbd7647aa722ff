// Long-lived responses: `kubectl get -w` and `kubectl logs -f`, including
// that they end cleanly when the client goes away or the pod is deleted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnKubectl } from './testing/kubectl.js';
import { REQUEST_TIMEOUT, startFixture, type SimFixture } from './testing/fixture.js';

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kube-apiserver simulator: watch and logs', () => {
  let f: SimFixture;

  before(async () => {
    // A slow default log ticker keeps the log assertions about our own lines.
    f = await startFixture({ podLogIntervalMs: 60_000 });
  });
  after(() => f.close());

  it('kubectl get -w sees an object created, changed and deleted while watching', async () => {
    await f.k(['create', 'configmap', 'before']);
    const watch = spawnKubectl(f.admin, ['get', 'configmaps', '-w', '-o', 'custom-columns=NAME:.metadata.name,V:.data.v', '--request-timeout=0']);
    try {
      await watch.waitFor(/before/);
      assert.equal((await f.k(['create', 'configmap', 'during', '--from-literal=v=first'])).code, 0);
      await watch.waitFor(/during\s+first/);
      await f.k(['patch', 'configmap', 'during', '--type=merge', '-p', '{"data":{"v":"second"}}']);
      await watch.waitFor(/during\s+second/);
    } finally {
      await watch.stop();
    }
  });

  it('a watch resumes from a list resourceVersion and stops when the client leaves', async () => {
    const list = await f.k(['get', '--raw', '/api/v1/namespaces/default/configmaps']);
    const rv = (JSON.parse(list.stdout) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    await f.k(['create', 'configmap', 'after-list']);
    const watch = spawnKubectl(f.admin, ['get', '--raw', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`]);
    try {
      const m = await watch.waitFor(/\{"type":"ADDED","object":\{[^\n]*"name":"after-list"/);
      assert.ok(m, 'the event after the list RV is replayed');
      assert.ok(!watch.stdout().includes('"name":"before"'), 'objects from before the RV are not replayed');
    } finally {
      await watch.stop();
    }
  });

  it('returns 410 Expired for a resourceVersion older than the history', async () => {
    const r = await f.k(['get', '--raw', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1']);
    assert.match(r.stdout, /"type":"ERROR".*"code":410/);
  });

  it('kubectl logs -f streams appended lines and ends when the pod is deleted', async () => {
    assert.equal((await f.k(['run', 'talker', '--image=busybox', '--', 'sleep', '3600'])).code, 0);
    await f.sim.waitForPodRunning('default', 'talker');
    f.sim.appendLog('default', 'talker', 'first line');
    const logs = spawnKubectl(f.admin, ['logs', '-f', 'talker', '--request-timeout=0']);
    try {
      await logs.waitFor(/first line/);
      f.sim.appendLog('default', 'talker', 'second line');
      await logs.waitFor(/second line/);
      assert.equal(f.sim.openStreams().logs, 1);
      assert.equal((await f.k(['delete', 'pod', 'talker', '--wait=false'])).code, 0);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([logs.exited, new Promise((r) => (timer = setTimeout(() => r('still running'), 5000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, 'logs -f ends when the container stops');
    } finally {
      await logs.stop();
    }
  });

  it('serves tailLines and the output of a finished container', async () => {
    assert.equal((await f.k(['run', 'printer', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo one; echo two; echo three'])).code, 0);
    await waitUntil(() => (f.sim.get('v1', 'Pod', 'default', 'printer')?.status as { phase?: string } | undefined)?.phase === 'Succeeded');
    const all = await f.k(['logs', 'printer']);
    assert.equal(all.stdout, 'one\ntwo\nthree\n');
    const tail = await f.k(['logs', 'printer', '--tail=1']);
    assert.equal(tail.stdout, 'three\n');
    const phase = await f.k(['get', 'pod', 'printer', REQUEST_TIMEOUT, '-o', 'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}']);
    assert.equal(phase.stdout, 'Succeeded 0');
  });

  it('runs an entrypoint it does not implement as a long-lived default program', async () => {
    f.sim.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'default' }, spec: { containers: [{ name: 'agent', image: 'kubegate:dev', command: ['/usr/bin/kubegate', 'agent'] }] } });
    await f.sim.waitForPodRunning('default', 'app');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((f.sim.get('v1', 'Pod', 'default', 'app')!.status as { phase: string }).phase, 'Running');
    assert.equal((await f.k(['logs', 'app'])).stdout, 'app/agent: log line 1\n');
    const exec = await f.k(['exec', 'app', '--', '/usr/bin/kubegate', 'version']);
    assert.equal(exec.code, 127);
  });

  it('leaves no watcher behind after clients disconnect', async () => {
    const watch = spawnKubectl(f.admin, ['get', 'pods', '-w', '--request-timeout=0']);
    await watch.waitFor(/NAME|No resources/);
    await waitUntil(() => f.sim.openStreams().watch === 1);
    await watch.stop();
    await waitUntil(() => f.sim.openStreams().watch === 0);
    assert.deepEqual(f.sim.openStreams(), { watch: 0, logs: 0, exec: 0, attach: 0, portforward: 0 });
    // A later write must not throw into a closed response (it would be logged and crash-prone).
    await f.k(['create', 'configmap', 'after-watch']);
    assert.ok(f.sim.get('v1', 'ConfigMap', 'default', 'after-watch'));
  });
});
