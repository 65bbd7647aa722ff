/**
 * Trusting a server's private CA without a manual step, and without trusting on first
 * use: a client that holds a token the server knows (an agent token, a job token, a
 * personal access token) asks for the CA with a fresh nonce and the first 16 hex digits
 * of its token's SHA-256 digest; the server answers the CA with an HMAC over the nonce and
 * the CA, keyed with that digest, which only the server (it stores the digest) and the
 * token's holder can compute. A man in the middle can relay the real CA but cannot make a
 * proof for his own; the token itself never leaves the client before the CA is proven.
 * (kubeadm's discovery-token CA pinning works the same way.)
 *
 * Protocol, on `GET /-/tls/ca.pem`:
 *   request header  `Kubegate-CA-Proof-Request: <hint>.<nonce>`  (16 + 32 hex digits)
 *   response header `Kubegate-CA-Proof: <hmac>[, <hmac>…]`       (one per live token with that hint)
 * where hmac = hex HMAC-SHA256(key = hex SHA-256(token), "kubegate-ca-proof\n" + nonce + "\n" + CA PEM).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CA_PROOF_REQUEST_HEADER = 'kubegate-ca-proof-request';
export const CA_PROOF_HEADER = 'kubegate-ca-proof';
export const CA_PATH = '/-/tls/ca.pem';
/** Hex digits of the token digest sent as a hint: 64 bits, enough to find the token, far too few to matter. */
export const HINT_HEX_DIGITS = 16;

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function proofRequest(token: string): { header: string; nonce: string; digest: string } {
  const digest = tokenDigest(token.trim());
  const nonce = randomBytes(16).toString('hex');
  return { header: `${digest.slice(0, HINT_HEX_DIGITS)}.${nonce}`, nonce, digest };
}

/** The hint and nonce of a request header, or null when it is malformed. */
export function parseProofRequest(value: unknown): { hint: string; nonce: string } | null {
  if (typeof value !== 'string') return null;
  const m = /^([0-9a-f]{16})\.([0-9a-f]{32})$/.exec(value.trim());
  return m ? { hint: m[1]!, nonce: m[2]! } : null;
}

export function caProof(digest: string, nonce: string, caPem: string): string {
  return createHmac('sha256', Buffer.from(digest, 'utf8')).update(`kubegate-ca-proof\n${nonce}\n${caPem}`, 'utf8').digest('hex');
}

/** Whether one of the proofs in the response header is the one `digest` makes. */
export function proofHolds(header: string | string[] | undefined, digest: string, nonce: string, caPem: string): boolean {
  const expected = Buffer.from(caProof(digest, nonce, caPem), 'hex');
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  return offered.some((p) => /^[0-9a-f]{64}$/.test(p) && timingSafeEqual(Buffer.from(p, 'hex'), expected));
}
