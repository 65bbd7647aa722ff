/**
 * Encryption of secrets the server must be able to read back (a certificate-based
 * cluster's service account token), with AES-256-GCM. The key comes from
 * `KUBEGATE_SECRET_KEY` (32 bytes, base64 or hex) when set — required when several
 * replicas share one database, since each would otherwise make its own — or else from
 * `<data dir>/keys/secrets.key`, created (0600) on first use.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubegateError, badRequest } from '../../lib/errors.js';

export const SECRET_KEY_FILE = join('keys', 'secrets.key');
const KEY_BYTES = 32;
const IV_BYTES = 12;
const FORMAT = 'v1';

/** Parses `KUBEGATE_SECRET_KEY`; throws a message saying how to make a good one. */
export function parseSecretKey(value: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw badRequest('KUBEGATE_SECRET_KEY must be 32 random bytes, base64 (44 characters) or hex (64 characters); make one with `openssl rand -base64 32`');
  }
  return key;
}

export class SecretBox {
  private key: Promise<Buffer> | undefined;

  /**
   * `envKey` is the value of `KUBEGATE_SECRET_KEY`, checked now so that a bad one stops
   * the server at start rather than at the first secret.
   */
  constructor(
    private readonly dataDir: string,
    envKey: string | undefined,
  ) {
    if (envKey !== undefined && envKey !== '') this.key = Promise.resolve(parseSecretKey(envKey));
  }

  async encrypt(plaintext: string, purpose: string): Promise<string> {
    const key = await this.loadKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The purpose is authenticated: a ciphertext moved to another column does not decrypt.
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** Throws a user-facing error when the key is not the one the value was sealed with. */
  async decrypt(sealed: string, purpose: string): Promise<string> {
    const key = await this.loadKey();
    const [format, iv, tag, body] = sealed.split(':');
    if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error(`unknown secret format "${format}"`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new KubegateError(
        'unavailable',
        "a stored secret cannot be decrypted with this server's secret key; every replica needs the same KUBEGATE_SECRET_KEY (or the same keys/secrets.key), the one in use when the secret was stored",
        { cause: err },
      );
    }
  }

  private loadKey(): Promise<Buffer> {
    // One promise for all callers, so two first uses at once never write two keys.
    this.key ??= readOrCreateKeyFile(join(this.dataDir, SECRET_KEY_FILE)).catch((err: unknown) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }
}

async function readOrCreateKeyFile(path: string): Promise<Buffer> {
  try {
    return parseKeyFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  try {
    // `wx`: if another process created it meanwhile, use theirs.
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseKeyFile(await readFile(path, 'utf8'), path);
  }
}

function parseKeyFile(content: string, path: string): Buffer {
  try {
    return parseSecretKey(content);
  } catch {
    throw new KubegateError('unavailable', `${path} does not hold a 32-byte base64 key; restore it from a backup (secrets stored with it cannot be read without it)`);
  }
}
