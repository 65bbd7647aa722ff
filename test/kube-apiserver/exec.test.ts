// exec, attach (kubectl run -i) and cp over both transports kubectl 1.32
// speaks: WebSocket v5 (default) and SPDY/3.1
// (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).

import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl, type KubectlEnv } from './testing/kubectl.js';
import { REQUEST_TIMEOUT, startFixture, type SimFixture } from './testing/fixture.js';

const TRANSPORTS = [
  { name: 'WebSocket', env: {} },
  { name: 'SPDY', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } },
] as const;

describe('kube-apiserver simulator: exec, attach, cp', () => {
  let f: SimFixture;

  before(async () => {
    f = await startFixture({ podLogIntervalMs: 60_000 });
    assert.equal((await f.k(['run', 'box', '--image=busybox', '--', 'sleep', 'infinity'])).code, 0);
    await f.sim.waitForPodRunning('default', 'box');
  });
  after(() => f.close());

  for (const transport of TRANSPORTS) {
    describe(transport.name, () => {
      let env: KubectlEnv;
      before(async () => {
        env = await f.envFor(f.sim.adminToken, {}, transport.env);
      });
      const k = (args: string[], input?: string) => kubectl(env, [REQUEST_TIMEOUT, ...args], { input });

      it('exec echo returns its output and exit code 0', async () => {
        const r = await k(['exec', 'box', '--', 'echo', 'hello']);
        assert.equal(r.stdout, 'hello\n');
        assert.equal(r.code, 0, r.stderr);
        const upgrade = f.sim.requests.filter((q) => q.subresource === 'exec').at(-1)!;
        assert.equal(upgrade.upgrade?.toLowerCase(), transport.name === 'SPDY' ? 'spdy/3.1' : 'websocket');
      });

      it('exec reports a non-zero exit code and separates stderr', async () => {
        const r = await k(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
        assert.equal(r.code, 3);
        assert.equal(r.stdout, 'out\n');
        assert.match(r.stderr, /^err\n/);
        assert.match(r.stderr, /command terminated with exit code 3/);
      });

      it('exec -i passes stdin through cat', async () => {
        const r = await k(['exec', '-i', 'box', '--', 'cat'], 'line one\nline two\n');
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'line one\nline two\n');
      });

      it('kubectl run --rm -i attaches stdin, prints the output and deletes the pod', async () => {
        const name = `attach-${transport.name.toLowerCase()}`;
        const r = await k(['run', '--rm', '-i', '--image=busybox', name, '--', 'cat'], 'through attach\n');
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /through attach\n/);
        assert.match(r.stdout, new RegExp(`pod "${name}" deleted`));
        assert.equal(f.sim.get('v1', 'Pod', 'default', name), undefined);
      });
    });
  }

  it('exec into a missing container or completed pod fails like the real server', async () => {
    const missing = await f.k(['exec', 'box', '-c', 'nope', '--', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /container nope is not valid for pod box|container nope not found/);
    const unknown = await f.k(['exec', 'box', '--', 'no-such-binary']);
    assert.equal(unknown.code, 127);
    assert.match(unknown.stderr, /executable file not found/);
  });

  it('closes every exec/attach session once kubectl is done', async () => {
    for (let i = 0; i < 100 && (f.sim.openStreams().exec !== 0 || f.sim.openStreams().attach !== 0); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(f.sim.openStreams().exec, 0);
    assert.equal(f.sim.openStreams().attach, 0);
  });

  it('kubectl cp copies files into and out of a container', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cp-'));
    await writeFile(join(dir, 'in.txt'), 'copied in\n');
    const up = await f.k(['cp', join(dir, 'in.txt'), 'box:/tmp/in.txt']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await f.k(['exec', 'box', '--', 'cat', '/tmp/in.txt'])).stdout, 'copied in\n');
    await f.k(['exec', 'box', '--', 'sh', '-c', 'echo made inside > /tmp/out.txt']);
    const down = await f.k(['cp', 'box:/tmp/out.txt', join(dir, 'out.txt')]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'made inside\n');
  });
});
