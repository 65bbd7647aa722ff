/**
 * The REST API as the administration commands see it: the server's URL, a personal access
 * token and an optional CA from flags or `KUBEGATE_URL`, `KUBEGATE_TOKEN`,
 * `KUBEGATE_CA_CERT_FILE` (CONTRACT.md), and every failure turned into a message that
 * names the problem and the way out.
 */
import { readFile } from 'node:fs/promises';
import { Agent, fetch, type Dispatcher } from 'undici';
import { KubegateError } from '../lib/errors.js';

export interface ConnectionFlags {
  url?: string | undefined;
  token?: string | undefined;
  caCertFile?: string | undefined;
}

export interface RestClient {
  /** The server's external URL, without a trailing slash. */
  readonly baseUrl: string;
  /** A JSON request to `/api/v4<path>`; resolves with the parsed answer, throws a `KubegateError` otherwise. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every page of a GitLab-paginated list. */
  list<T = unknown>(path: string): Promise<T[]>;
  close(): Promise<void>;
}

/** GitLab's largest page. */
const PER_PAGE = 100;

function usage(message: string): KubegateError {
  return new KubegateError('bad_request', message);
}

export async function connect(flags: ConnectionFlags): Promise<RestClient> {
  if (!flags.url) throw usage("KUBEGATE_URL is not set: set it (or --url) to the Kubegate server's external URL, e.g. https://kubegate.example.com.");
  let base: URL;
  try {
    base = new URL(flags.url);
  } catch {
    throw usage(`KUBEGATE_URL "${flags.url}" is not a URL: give the server's external URL, e.g. https://kubegate.example.com.`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw usage(`KUBEGATE_URL must start with https:// (or http://), not ${base.protocol}//.`);
  const token = flags.token?.trim();
  if (!token) throw usage('KUBEGATE_TOKEN is not set: set it (or --token) to a personal access token with the api scope.');
  const baseUrl = base.toString().replace(/\/+$/, '');
  const dispatcher: Dispatcher | undefined = flags.caCertFile ? new Agent({ connect: { ca: await readCa(flags.caCertFile) } }) : undefined;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await fetch(`${baseUrl}/api/v4${path}`, {
        method,
        headers: { 'PRIVATE-TOKEN': token!, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      throw new KubegateError('unavailable', `cannot reach ${base.origin}: ${describeFetchError(err)}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw refusal(res.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  return {
    baseUrl,
    request,
    async list<T>(path: string): Promise<T[]> {
      const all: T[] = [];
      for (let page = 1; ; page++) {
        const rows = await request<T[]>('GET', `${path}${path.includes('?') ? '&' : '?'}per_page=${PER_PAGE}&page=${page}`);
        all.push(...rows);
        if (rows.length < PER_PAGE) return all;
      }
    },
    async close() {
      await dispatcher?.close();
    },
  };
}

/** The server's refusal, with what to do about it. */
function refusal(status: number, body: string, what: string): KubegateError {
  const message = serverMessage(body);
  switch (status) {
    case 401:
      return new KubegateError('unauthorized', `the server refused the token (401: ${message}); check KUBEGATE_TOKEN: a personal access token with the api scope.`);
    case 403:
      return new KubegateError('forbidden', `${message} (403); managing agents needs the Maintainer role in the project, and reading them the Developer role.`);
    case 404:
      return new KubegateError('not_found', `${message} (404 for ${what})`);
    default:
      return new KubegateError(status === 409 ? 'conflict' : status >= 500 ? 'unavailable' : 'bad_request', `${message} (${status})`);
  }
}

async function readCa(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw usage(`cannot read the CA certificate file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usage(`${file} holds no PEM certificate: give the CA certificate that signed the server's certificate.`);
  return pem;
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return `its TLS certificate is not trusted (${code}); pass the server's CA with --ca-cert-file or KUBEGATE_CA_CERT_FILE.`;
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${cause?.message ?? code}; check KUBEGATE_URL.`;
  return `${cause?.message ?? (err as Error).message}; check KUBEGATE_URL and the network.`;
}

function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: show the text itself
  }
  return body.slice(0, 200) || 'no message';
}
