/**
 * The few Kubernetes API calls Kubegate makes itself in a certificate-based cluster: an
 * EKS cluster's `gitlab` service account after creation, and the namespaces of
 * GitLab-managed clusters. JSON over HTTPS with a bearer token, trusting the cluster's CA
 * (or the system's when it has none).
 */
import { Agent, fetch } from 'undici';
import { KubegateError } from '../../lib/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { KUBE_REQUEST_TIMEOUT_MS, SERVICE_ACCOUNT_TOKEN_WAIT_MS } from './eks/defaults.js';

export interface KubeTarget {
  apiUrl: string;
  caCert: string | null;
  token: string;
}

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

/** A refusal or failure of the cluster's API, with its Status message when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }
}

const TOKEN_POLL_MS = 100;

export class KubeClient {
  private readonly dispatcher: Agent;

  constructor(private readonly target: KubeTarget) {
    this.dispatcher = new Agent({ connect: target.caCert ? { ca: target.caCert } : {} });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Creates the object; one that already exists is left as it is (`false`). */
  async ensure(path: string, object: KubeObject, signal?: AbortSignal): Promise<boolean> {
    const res = await this.request('POST', path, object, signal);
    if (res.status === 201 || res.status === 200) return true;
    if (res.status === 409) return false;
    throw await this.failure('POST', path, res.status, res.body);
  }

  async get<T = Record<string, unknown>>(path: string, signal?: AbortSignal): Promise<T | undefined> {
    const res = await this.request('GET', path, undefined, signal);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure('GET', path, res.status, res.body);
    return res.body as T;
  }

  async replace(path: string, object: unknown, signal?: AbortSignal): Promise<void> {
    const res = await this.request('PUT', path, object, signal);
    if (res.status !== 200) throw await this.failure('PUT', path, res.status, res.body);
  }

  /**
   * The token of a `kubernetes.io/service-account-token` Secret, once the token controller
   * has filled it in (at once on most clusters, but not synchronously).
   */
  async secretToken(namespace: string, name: string, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + SERVICE_ACCOUNT_TOKEN_WAIT_MS;
    const path = `/api/v1/namespaces/${namespace}/secrets/${name}`;
    for (;;) {
      const secret = await this.get<{ data?: { token?: string } }>(path, signal);
      const token = secret?.data?.token;
      if (token) return Buffer.from(token, 'base64').toString('utf8');
      if (Date.now() > deadline) {
        throw new KubeApiError(504, `the token of Secret ${namespace}/${name} was not filled in within ${SERVICE_ACCOUNT_TOKEN_WAIT_MS / 1000} s; is the cluster's token controller running?`);
      }
      await sleep(TOKEN_POLL_MS, undefined, signal ? { signal } : {});
    }
  }

  private async request(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<{ status: number; body: unknown }> {
    const timeout = AbortSignal.timeout(KUBE_REQUEST_TIMEOUT_MS);
    const url = `${this.target.apiUrl.replace(/\/+$/, '')}${path}`;
    try {
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        dispatcher: this.dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text for the message
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new KubeApiError(0, `${this.target.apiUrl} could not be reached (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`, { cause: err });
    }
  }

  private async failure(method: string, path: string, status: number, body: unknown): Promise<KubeApiError> {
    const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : typeof body === 'string' && body ? body.slice(0, 200) : `HTTP ${status}`;
    return new KubeApiError(status, `${method} ${path}: ${status} ${message}`);
  }
}

/** Runs `fn` with a client for the target and closes it afterwards. */
export async function withKubeClient<T>(target: KubeTarget, fn: (kube: KubeClient) => Promise<T>): Promise<T> {
  const kube = new KubeClient(target);
  try {
    return await fn(kube);
  } finally {
    await kube.close();
  }
}

/** A user-facing error for a Kubernetes failure while Kubegate prepares something in a cluster. */
export function kubeFailure(what: string, err: unknown, wayOut: string): KubegateError {
  const detail = err instanceof KubeApiError ? err.message : (err as Error).message;
  return new KubegateError('unavailable', `${what}: ${detail}; ${wayOut}`, { cause: err });
}
