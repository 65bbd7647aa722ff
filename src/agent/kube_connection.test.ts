import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inClusterConnection, kubeconfigConnection } from './kube_connection.js';

test('in a pod, the ServiceAccount token and CA and the service address are used', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sa-'));
  await writeFile(join(dir, 'token'), 'sa-token\n');
  await writeFile(join(dir, 'ca.crt'), 'CA PEM');
  const conn = inClusterConnection(dir, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' });
  assert.equal(conn.server, 'https://10.96.0.1:6443');
  assert.equal(conn.bearerToken!(), 'sa-token');
  assert.equal(conn.ca!.toString(), 'CA PEM');
  assert.equal(conn.insecureSkipTlsVerify, false);
  assert.equal(inClusterConnection(dir, { KUBERNETES_SERVICE_HOST: 'fd00::1' }).server, 'https://[fd00::1]:443');
});

test('outside a pod without a kubeconfig, the error says what to pass', () => {
  assert.throws(() => inClusterConnection('/nonexistent', {}), /not running in a Kubernetes pod.*--kubeconfig/);
});

test('a kubeconfig\'s current context gives the server, CA and token (inline or from files)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kc-'));
  await writeFile(join(dir, 'ca.pem'), 'FILE CA');
  await writeFile(join(dir, 'token'), 'file-token');
  const file = join(dir, 'config');
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'b',
      clusters: [
        { name: 'one', cluster: { server: 'https://one.example:6443/', 'certificate-authority-data': Buffer.from('INLINE CA').toString('base64') } },
        { name: 'two', cluster: { server: 'https://two.example', 'certificate-authority': 'ca.pem' } },
      ],
      users: [
        { name: 'u1', user: { token: 'inline-token' } },
        { name: 'u2', user: { tokenFile: 'token' } },
      ],
      contexts: [
        { name: 'a', context: { cluster: 'one', user: 'u1' } },
        { name: 'b', context: { cluster: 'two', user: 'u2' } },
      ],
    }),
  );
  const conn = kubeconfigConnection(file);
  assert.equal(conn.server, 'https://two.example');
  assert.equal(conn.ca!.toString(), 'FILE CA');
  assert.equal(conn.bearerToken!(), 'file-token');
  assert.match(conn.source, /context b/);
});

test('broken kubeconfigs are refused with the reason', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kc-'));
  assert.throws(() => kubeconfigConnection(join(dir, 'missing')), /cannot read kubeconfig/);
  await writeFile(join(dir, 'nocontext'), stringify({ clusters: [], contexts: [] }));
  assert.throws(() => kubeconfigConnection(join(dir, 'nocontext')), /has no current context/);
  await writeFile(join(dir, 'noserver'), stringify({ 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], clusters: [{ name: 'c', cluster: {} }] }));
  assert.throws(() => kubeconfigConnection(join(dir, 'noserver')), /has no server/);
});
