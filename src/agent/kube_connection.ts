/**
 * How the agent reaches its cluster's API: in a pod, the ServiceAccount's files; outside,
 * a kubeconfig's current context. Only what the agent needs is read (server URL, CA,
 * bearer token or client certificate), so the agent does not carry a full client library.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConnection {
  /** e.g. `https://10.0.0.1:443`, without a trailing slash. */
  server: string;
  ca?: Buffer | undefined;
  insecureSkipTlsVerify: boolean;
  /** Re-read on every call: ServiceAccount tokens are rotated on disk. */
  bearerToken?: (() => string) | undefined;
  clientCert?: Buffer | undefined;
  clientKey?: Buffer | undefined;
  /** Where the connection came from, for logs and errors. */
  source: string;
}

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export function inClusterConnection(dir = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) {
    throw new KubeConfigError('not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is unset): pass --kubeconfig or set KUBECONFIG');
  }
  const tokenFile = `${dir}/token`;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    insecureSkipTlsVerify: false,
    bearerToken: cachedFileReader(tokenFile),
    source: `ServiceAccount (${dir})`,
  };
}

/** The current context of a kubeconfig file (the first file of a `KUBECONFIG` list). */
export function kubeconfigConnection(path: string): KubeConnection {
  const file = resolve(path.split(':')[0]!);
  let doc: any;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  const base = dirname(file);
  const contextName = doc?.['current-context'];
  const context = (doc?.contexts ?? []).find((c: any) => c?.name === contextName)?.context;
  if (!context) throw new KubeConfigError(`kubeconfig ${file} has no current context: run "kubectl config use-context <name>"`);
  const cluster = (doc.clusters ?? []).find((c: any) => c?.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new KubeConfigError(`kubeconfig ${file}: cluster "${context.cluster}" of context "${contextName}" has no server`);
  const user = (doc.users ?? []).find((u: any) => u?.name === context.user)?.user ?? {};
  const data = (inline: unknown, fileRef: unknown): Buffer | undefined => {
    if (typeof inline === 'string') return Buffer.from(inline, 'base64');
    if (typeof fileRef === 'string') return readFileSync(resolve(base, fileRef));
    return undefined;
  };
  let bearerToken: (() => string) | undefined;
  if (typeof user.token === 'string') bearerToken = () => user.token as string;
  else if (typeof user.tokenFile === 'string') bearerToken = cachedFileReader(resolve(base, user.tokenFile));
  return {
    server: String(cluster.server).replace(/\/+$/, ''),
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    bearerToken,
    clientCert: data(user['client-certificate-data'], user['client-certificate']),
    clientKey: data(user['client-key-data'], user['client-key']),
    source: `kubeconfig ${file} (context ${contextName})`,
  };
}

/** Reads a small file at most once a minute; rotated tokens are picked up in time. */
function cachedFileReader(file: string, maxAgeMs = 60_000): () => string {
  let value = '';
  let readAt = 0;
  return function readToken() {
    if (Date.now() - readAt > maxAgeMs) {
      value = readFileSync(file, 'utf8').trim();
      readAt = Date.now();
    }
    return value;
  };
}
