import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets are high-entropy random strings with a prefix that says what they are (so a
 * leaked one is recognised by secret scanners), stored only as a SHA-256 digest. A slow
 * hash buys nothing for 190 random bits and would cost on every request.
 */
export const TOKEN_PREFIX = {
  personal: 'kgpat-',
  agent: 'kgagent-',
  job: 'kgjob-',
} as const;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new secret: prefix + 32 base62 characters (~190 bits). */
export function generateToken(prefix: string): string {
  const bytes = randomBytes(48);
  let out = '';
  for (const b of bytes) {
    // 248 = 4 * 62: rejection sampling keeps every character equally likely.
    if (b < 248) out += ALPHABET[b % 62];
    if (out.length === 32) break;
  }
  return out.length === 32 ? prefix + out : generateToken(prefix);
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
