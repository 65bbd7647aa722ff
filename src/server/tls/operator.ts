/**
 * The operator's own certificate (`--tls-cert` / `--tls-key`): read once at start and
 * checked, so that a wrong path, an unreadable file or a key of another certificate stops
 * the start with a message that names the flag, not a stack trace at the first handshake.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KubegateError } from '../../lib/errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface OperatorTls {
  chainPem: string;
  keyPem: string;
  /** The first certificate of the chain: the server's own. */
  leaf: X509Certificate;
}

export function loadOperatorTls(certFile: string, keyFile: string): OperatorTls {
  const chainPem = readPem(certFile, '--tls-cert', 'KUBEGATE_TLS_CERT', 'your certificate chain (PEM: the server certificate first, a private CA last)');
  const keyPem = readPem(keyFile, '--tls-key', 'KUBEGATE_TLS_KEY', 'the private key (PEM) of the certificate in --tls-cert');
  const blocks = chainPem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw usage(`--tls-cert ${certFile} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); give the certificate chain, the server's certificate first`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]!);
  } catch (err) {
    throw usage(`--tls-cert ${certFile}: its first certificate cannot be read (${(err as Error).message})`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw usage(`--tls-key ${keyFile} is not a usable PEM private key (${(err as Error).message}); give an unencrypted key in PEM form`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw usage(
      `--tls-key ${keyFile} does not match the certificate in --tls-cert ${certFile} (subject ${leaf.subject.replace(/\n/g, ', ')}); give the key of that certificate, and put the server's certificate first in the chain`,
    );
  }
  return { chainPem, keyPem, leaf };
}

function readPem(file: string, flag: string, env: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage(`${flag} ${file}: no such file; give the path of ${what} (${flag} or ${env}), or leave out --tls-cert and --tls-key to use a certificate the server generates`);
    if (code === 'EACCES') throw usage(`${flag} ${file}: permission denied; make it readable by the user that runs kubegate`);
    if (code === 'EISDIR') throw usage(`${flag} ${file} is a directory; give the path of ${what}`);
    throw usage(`${flag} ${file} cannot be read (${code ?? (err as Error).message})`);
  }
}

function usage(message: string): KubegateError {
  return new KubegateError('bad_request', message);
}
