// Self-signed CA + serving certificate for the simulator, made with the
// `openssl` CLI because node:crypto cannot issue X.509 certificates.
// Generation costs ~50 ms with EC keys; the result is cached per process so a
// test file that starts several simulators pays it once.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

let cached: Promise<TlsMaterial> | undefined;

export function getTlsMaterial(): Promise<TlsMaterial> {
  cached ??= generateTlsMaterial();
  return cached;
}

async function generateTlsMaterial(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-sim-tls-'));
  try {
    const p = (name: string): string => join(dir, name);
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=kube-sim-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=kube-apiserver',
    ]);
    // The SANs cover every name a test may dial: loopback and the in-cluster service names.
    await writeFile(
      p('ext.cnf'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
      '-CAcreateserial', '-out', p('server.crt'), '-days', '3650', '-extfile', p('ext.cnf'),
    ]);
    const [caCert, cert, key] = await Promise.all([
      readFile(p('ca.crt'), 'utf8'),
      readFile(p('server.crt'), 'utf8'),
      readFile(p('server.key'), 'utf8'),
    ]);
    return { caCert, cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
