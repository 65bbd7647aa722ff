/**
 * Whether clients must be told which CA to trust for the server: when the certificate
 * chain does not end at a publicly trusted root (self-signed, or a private CA), its last
 * certificate is what a kubeconfig must carry. Put the CA last in `--tls-cert` for this.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

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
