/**
 * The client half of `ca_proof.ts`: fetch a server's private CA proven by a token the
 * client holds. Used by `kubegate ci kubeconfig` (job token) and the agent (agent token)
 * when the server's certificate is not trusted and no CA file was given.
 */
import https from 'node:https';
import type { Agent } from 'node:http';
import { X509Certificate } from 'node:crypto';
import { CA_PATH, CA_PROOF_HEADER, CA_PROOF_REQUEST_HEADER, proofHolds, proofRequest } from './ca_proof.js';

/** Node's codes for "the certificate chain ends at a CA nobody told me to trust". */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** Whether `err` (or its cause) is a TLS failure for an unknown CA, which a proven CA can fix. */
export function isUntrustedCertificate(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code && UNTRUSTED_CODES.has(e.code)) return true;
  }
  return false;
}

export interface ProvenCa {
  caPem: string;
  /** SHA-256, `AB:CD:…`, as the server prints it at start. */
  fingerprint: string;
}

/**
 * `GET <base>/-/tls/ca.pem` without checking the server's certificate — the answer is
 * checked instead, by the proof only the server can make for `token`. Rejects with a
 * message for the user when the server cannot prove its CA.
 */
export function fetchProvenCa(baseUrl: string, token: string, options: { agent?: Agent; timeoutMs?: number } = {}): Promise<ProvenCa> {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${CA_PATH}`);
  const request = proofRequest(token);
  return new Promise(function askForCa(resolve, reject) {
    const req = https.get(
      url,
      {
        // Deliberately unverified: the proof below is the check. Nothing secret is sent.
        rejectUnauthorized: false,
        headers: { [CA_PROOF_REQUEST_HEADER]: request.header, accept: 'application/x-pem-file' },
        timeout: options.timeoutMs ?? 10_000,
        ...(options.agent ? { agent: options.agent } : {}),
      },
      function readCa(res) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 64 * 1024) body += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url.origin}${CA_PATH} answered ${res.statusCode}: the server has no private CA to offer`));
          if (!proofHolds(res.headers[CA_PROOF_HEADER], request.digest, request.nonce, body)) {
            return reject(new Error(`the CA offered at ${url.origin}${CA_PATH} comes without a valid proof for this token (a wrong or revoked token, or something between you and the server); pass the server's CA file instead`));
          }
          try {
            resolve({ caPem: body, fingerprint: new X509Certificate(body).fingerprint256 });
          } catch (err) {
            reject(new Error(`the CA offered at ${url.origin}${CA_PATH} is not a certificate: ${(err as Error).message}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin}${CA_PATH} in time`)));
    req.on('error', reject);
  });
}
