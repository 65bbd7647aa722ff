/**
 * THE place that answers "which CA must clients trust to reach this server?" — for job
 * kubeconfigs (`certificate-authority-data`), `GET /-/tls/ca.pem`, the CA fingerprint
 * printed at start, and install commands (`config.kasCaCert`). Read it as `app.trust`.
 *
 * - Generated certificate (the default): the CA in `<data-dir>/tls/ca.pem`.
 * - `--tls-cert`: the last certificate of the chain when it does not end at a publicly
 *   trusted root (self-signed, or a private CA: put the CA last); null when it does.
 * - `--no-tls`: null (whatever terminates TLS in front is the operator's business).
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface ServerTrust {
  /** The CA certificate (PEM) clients must trust, or null when they need none. */
  caPem: string | null;
  /** Its SHA-256 fingerprint, `AB:CD:…` as openssl and browsers show it; null with `caPem`. */
  fingerprint: string | null;
}

export const NO_PRIVATE_CA: ServerTrust = Object.freeze({ caPem: null, fingerprint: null });

export function trustOf(caPem: string | null): ServerTrust {
  if (caPem === null) return NO_PRIVATE_CA;
  return { caPem, fingerprint: new X509Certificate(caPem).fingerprint256 };
}

/** The CA to advertise for an operator's certificate chain (see above), or null. */
export function caToAdvertise(chainPem: string): string | null {
  const blocks = chainPem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return null;
  const last = new X509Certificate(blocks[blocks.length - 1]!);
  const publiclyTrusted = rootCertificates.some(function issuedBy(rootPem) {
    const root = new X509Certificate(rootPem);
    return last.checkIssued(root) && last.verify(root.publicKey);
  });
  return publiclyTrusted ? null : `${blocks[blocks.length - 1]!}\n`;
}
