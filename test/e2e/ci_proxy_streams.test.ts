/**
 * What CI jobs do interactively through the proxy, with the real kubectl and the job's
 * generated kubeconfig: get, create, watch, logs -f, exec (WebSocket and SPDY),
 * port-forward (WebSocket tunnel and SPDY) and cp.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectl, spawnKubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { echoRoundTrip, forwardedPort, runPod } from './ci_proxy_support.js';

const CTX = ['--context', 'acme/clusters:prod'];
let fx: CiFixture;
let job: Job;

before(async () => {
  fx = await startCiFixture();
  await connectAgent(fx, 'acme/clusters', 'prod');
  job = await createJob(fx.server, 'acme/clusters');
  await runPod(fx, 'default', 'web');
});

after(async () => {
  await job?.kenv.cleanup();
  await fx?.close();
});

test('get pods and create a configmap', async () => {
  const pods = await kubectl(job.kenv, [...CTX, 'get', 'pods', '-n', 'default']);
  assert.equal(pods.code, 0, pods.stderr);
  assert.match(pods.stdout, /^NAME\s+READY\s+STATUS/m);
  assert.match(pods.stdout, /^web\s+1\/1\s+Running/m);
  const created = await kubectl(job.kenv, [...CTX, 'create', 'configmap', 'settings', '-n', 'default', '--from-literal=color=blue']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /configmap\/settings created/);
  assert.deepEqual(fx.sim.get('v1', 'ConfigMap', 'default', 'settings')?.data, { color: 'blue' });
});

test('a large request body and response go through whole', async () => {
  const file = join(job.kenv.dir, 'big.txt');
  const content = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'y'.repeat(40)}`).join('\n');
  await writeFile(file, content);
  const created = await kubectl(job.kenv, [...CTX, 'create', 'configmap', 'big', '-n', 'default', `--from-file=big.txt=${file}`]);
  assert.equal(created.code, 0, created.stderr);
  const back = await kubectl(job.kenv, [...CTX, 'get', 'configmap', 'big', '-n', 'default', '-o', 'jsonpath={.data.big\\.txt}']);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout, content);
});

test('get -w sees an object created while watching', async () => {
  const watch = spawnKubectl(job.kenv, [...CTX, 'get', 'configmaps', '-n', 'default', '-w', '-o', 'name']);
  try {
    await watch.waitFor(/configmap\/kube-root-ca\.crt|configmap\/settings/, 15_000);
    fx.sim.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'while-watching', namespace: 'default' }, data: {} });
    await watch.waitFor(/configmap\/while-watching/, 15_000);
  } finally {
    await watch.stop();
  }
});

test('logs -f streams lines as they are appended', async () => {
  fx.sim.appendLog('default', 'web', 'first line');
  const logs = spawnKubectl(job.kenv, [...CTX, 'logs', '-f', 'web', '-n', 'default']);
  try {
    await logs.waitFor(/first line/, 15_000);
    fx.sim.appendLog('default', 'web', 'appended while following');
    await logs.waitFor(/appended while following/, 15_000);
    fx.sim.appendLog('default', 'web', 'and another one');
    await logs.waitFor(/and another one/, 15_000);
    assert.equal(logs.child.exitCode, null, 'logs -f still running');
  } finally {
    await logs.stop();
  }
});

test('exec over WebSocket (the kubectl 1.32 default) returns the output', async () => {
  const r = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', 'hello'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  const last = fx.sim.requests.filter((q) => q.subresource === 'exec').at(-1);
  assert.equal(last?.upgrade, 'websocket');
});

test('exec over SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) returns output, stdin and the exit code', async () => {
  const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
  const r = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'echo', 'hello'], { env, timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(fx.sim.requests.filter((q) => q.subresource === 'exec').at(-1)?.upgrade, 'SPDY/3.1');
  const cat = await kubectl(job.kenv, [...CTX, 'exec', '-i', '-n', 'default', 'web', '--', 'cat'], { env, input: 'from stdin\n', timeoutMs: 30_000 });
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, 'from stdin\n');
  const failing = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'sh', '-c', 'exit 3'], { env, timeoutMs: 30_000 });
  assert.equal(failing.code, 3, failing.stderr);
});

test('port-forward carries bytes both ways over the WebSocket tunnel (default)', async () => {
  const pf = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/web', ':8080']);
  try {
    const port = await forwardedPort(pf);
    const payload = randomBytes(256 * 1024);
    assert.ok((await echoRoundTrip(port, payload)).equals(payload));
    // A second connection over the same port-forward works too.
    assert.equal((await echoRoundTrip(port, Buffer.from('again'))).toString(), 'again');
  } finally {
    await pf.stop();
  }
  assert.equal(fx.sim.requests.filter((q) => q.subresource === 'portforward').at(-1)?.upgrade, 'websocket');
});

test('port-forward carries bytes both ways over SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', async () => {
  const pf = spawnKubectl(job.kenv, [...CTX, 'port-forward', '-n', 'default', 'pod/web', ':8080'], { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } });
  try {
    const port = await forwardedPort(pf);
    const payload = randomBytes(256 * 1024);
    assert.ok((await echoRoundTrip(port, payload)).equals(payload));
  } finally {
    await pf.stop();
  }
  assert.equal(fx.sim.requests.filter((q) => q.subresource === 'portforward').at(-1)?.upgrade, 'SPDY/3.1');
});

test('cp copies a file into the pod and back', async () => {
  const local = join(job.kenv.dir, 'upload.txt');
  await writeFile(local, 'copied through kubegate\n');
  const up = await kubectl(job.kenv, [...CTX, 'cp', local, 'default/web:/tmp/upload.txt'], { timeoutMs: 30_000 });
  assert.equal(up.code, 0, up.stderr);
  const cat = await kubectl(job.kenv, [...CTX, 'exec', '-n', 'default', 'web', '--', 'cat', '/tmp/upload.txt'], { timeoutMs: 30_000 });
  assert.equal(cat.stdout, 'copied through kubegate\n', cat.stderr);
  const back = join(job.kenv.dir, 'download.txt');
  const down = await kubectl(job.kenv, [...CTX, 'cp', 'default/web:/tmp/upload.txt', back], { timeoutMs: 30_000 });
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await readFile(back, 'utf8'), 'copied through kubegate\n');
});
