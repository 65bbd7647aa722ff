/**
 * The server's own CA and serving certificate in `<data-dir>/tls/`: created on the first
 * start, reused afterwards, the serving certificate re-issued (by the same CA) when it
 * nears its end or no longer covers the server's names. The CA never changes by itself:
 * every kubeconfig, agent and `--kas-ca-cert-file` out there trusts it.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { KubegateError } from '../../lib/errors.js';
import { createCa, issueServingCertificate, type KeyPairPem } from './generate.js';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CA_VALIDITY_DAYS,
  DAY_MS,
  RENEW_WHEN_DAYS_LEFT,
  SERVING_CERT_FILE,
  SERVING_KEY_FILE,
  SERVING_VALIDITY_DAYS,
  TLS_DIR,
} from './defaults.js';

export interface GeneratedTls {
  /** The serving certificate followed by the CA (PEM): what the listener presents. */
  chainPem: string;
  keyPem: string;
  caPem: string;
  caFile: string;
  /** When the serving certificate expires. */
  notAfter: Date;
  /** What happened at this call, for the start-up log. */
  events: Array<'ca_created' | 'serving_issued' | 'serving_renewed'>;
}

/**
 * The names the serving certificate must hold: the listen host (a wildcard address
 * stands for this machine: its host name), localhost and both loopback addresses, and
 * the external URL's host.
 */
export function servingNames(listenHost: string, externalUrl: string): string[] {
  const names = new Set<string>();
  const external = new URL(externalUrl).hostname.replace(/^\[|\]$/g, '');
  if (external) names.add(external.toLowerCase());
  if (listenHost === '0.0.0.0' || listenHost === '::') names.add(hostname().toLowerCase());
  else names.add(listenHost.toLowerCase());
  for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n);
  return [...names];
}

export async function ensureGeneratedTls(dataDir: string, names: readonly string[], now = new Date()): Promise<GeneratedTls> {
  const dir = join(dataDir, TLS_DIR);
  const files = {
    caCert: join(dir, CA_CERT_FILE),
    caKey: join(dir, CA_KEY_FILE),
    cert: join(dir, SERVING_CERT_FILE),
    key: join(dir, SERVING_KEY_FILE),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const events: GeneratedTls['events'] = [];

  let ca = await readPair(files.caCert, files.caKey);
  if (ca === 'missing') {
    ca = await createCa(`Kubegate CA (${hostname()})`, CA_VALIDITY_DAYS, now);
    // The key first: a CA certificate without its key would stop every later start.
    await writePrivate(files.caKey, ca.keyPem);
    await writePublic(files.caCert, ca.certPem);
    events.push('ca_created');
  } else if (ca === 'partial') {
    throw new KubegateError(
      'bad_request',
      `${files.caCert} and ${files.caKey} must both exist (one is missing): restore it from a backup, or delete ${dir} to make a new CA (every client that trusts the old one must then get the new ${CA_CERT_FILE})`,
    );
  }
  const caCert = checkCa(ca, files.caCert, now);

  const serving = await readPair(files.cert, files.key);
  let servingPair = typeof serving === 'object' ? serving : undefined;
  const due = servingPair ? renewalReason(servingPair, caCert, names, now) : 'missing';
  if (due !== null) {
    servingPair = await issueServingCertificate(ca, names, SERVING_VALIDITY_DAYS, now);
    await writePrivate(files.key, servingPair.keyPem);
    await writePublic(files.cert, servingPair.certPem);
    events.push(due === 'missing' ? 'serving_issued' : 'serving_renewed');
  }
  const leaf = new X509Certificate(servingPair!.certPem);
  return {
    chainPem: `${servingPair!.certPem.trim()}\n${ca.certPem.trim()}\n`,
    keyPem: servingPair!.keyPem,
    caPem: `${ca.certPem.trim()}\n`,
    caFile: files.caCert,
    notAfter: new Date(leaf.validTo),
    events,
  };
}

/** Why the serving certificate must be re-issued now, or null when it is good. */
export function renewalReason(pair: KeyPairPem, ca: X509Certificate, names: readonly string[], now: Date): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return 'its key does not match';
  } catch {
    return 'it cannot be read';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'another CA issued it';
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_WHEN_DAYS_LEFT * DAY_MS) return 'it expires soon';
  const uncovered = names.filter((n) => (isIP(n) ? cert.checkIP(n) === undefined : cert.checkHost(n) === undefined));
  if (uncovered.length > 0) return `it does not cover ${uncovered.join(', ')}`;
  return null;
}

function checkCa(ca: KeyPairPem, file: string, now: Date): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(ca.keyPem))) throw new Error('its key does not match');
  } catch (err) {
    throw new KubegateError('bad_request', `the generated CA in ${file} is unusable (${(err as Error).message}): restore the tls folder from a backup, or delete it to make a new CA`);
  }
  if (new Date(cert.validTo).getTime() <= now.getTime()) {
    throw new KubegateError('bad_request', `the generated CA in ${file} expired on ${cert.validTo}: delete ${join(file, '..')} to make a new one, then give clients the new ${CA_CERT_FILE}`);
  }
  return cert;
}

async function readPair(certFile: string, keyFile: string): Promise<KeyPairPem | 'missing' | 'partial'> {
  const [certPem, keyPem] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (certPem === null && keyPem === null) return 'missing';
  if (certPem === null || keyPem === null) return 'partial';
  return { certPem, keyPem };
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Through a temporary file and a rename: a crash never leaves half a key. */
async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, content, { mode });
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

const writePrivate = (file: string, pem: string) => writeAtomically(file, pem, 0o600);
const writePublic = (file: string, pem: string) => writeAtomically(file, pem, 0o644);
