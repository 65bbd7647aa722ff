/**
 * Starts a real Kubegate server in this process on a temporary data dir and a loopback
 * port, with a known root token, for tests that drive it over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeFile, mkdir } from 'node:fs/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { getTlsMaterial } from '../kube-apiserver/api/certs.js';
import { createKubegateServer, type KubegateServer } from '../../src/server/app.js';
import { wireModules, type RunningModules } from '../../src/server/modules.js';
import { serverConfig, type ServerFlags, type TunnelTimerOverrides } from '../../src/server/config.js';
import { createLogger } from '../../src/lib/log.js';

export const ROOT_TOKEN = 'kgpat-test-root-token-0123456789';

export interface TestServer {
  app: KubegateServer;
  /** The wired modules (agents, CI …), for tests that look inside. */
  modules: RunningModules;
  url: string;
  dataDir: string;
  rootToken: string;
  /** With `tls`: the CA to trust, and the file holding it. */
  caCert?: string;
  caCertFile?: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  api: ApiClient;
  /** fetch() against the server (trusting its test CA), `path` relative to its URL. */
  fetch(path: string, init?: Parameters<typeof undiciFetch>[1]): ReturnType<typeof undiciFetch>;
  /** Stops the server; the data dir stays until `cleanup`. */
  stop(): Promise<void>;
  /** Stops the server and removes the data dir. */
  close(): Promise<void>;
}

/** What helpers need of a running server, in this process or another one (server_process.ts). */
export type ServerHandle = Pick<TestServer, 'url' | 'rootToken' | 'caCert' | 'caCertFile' | 'api' | 'fetch'>;

export interface StartOptions extends Omit<ServerFlags, 'tls'> {
  /** Reuse a data dir (restart tests); default a fresh temporary one. */
  dataDir?: string;
  /**
   * `true`: HTTPS with a certificate from a private test CA given as `--tls-cert` (its PEM
   * is `caCert`); `'generated'`: HTTPS as `kubegate server` does with no TLS flags (its own
   * CA in `<data-dir>/tls/`). Unset: plain HTTP (`--no-tls`), for tests not about TLS.
   */
  tls?: boolean | 'generated';
  env?: NodeJS.ProcessEnv;
  /** Shrunk tunnel timers (heartbeats, ping acks…). */
  tunnel?: TunnelTimerOverrides;
}

export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kubegate-test-')));
  const logs: Array<Record<string, unknown>> = [];
  let caCert: string | undefined;
  let caCertFile: string | undefined;
  const tlsFlags: ServerFlags = { noTls: !options.tls };
  if (options.tls === true) {
    const material = await getTlsMaterial();
    const dir = join(dataDir, 'test-tls');
    await mkdir(dir, { recursive: true });
    // The chain ends with the CA, as an operator with a private CA would configure it.
    await writeFile(join(dir, 'chain.pem'), `${material.cert.trim()}\n${material.caCert.trim()}\n`);
    await writeFile(join(dir, 'key.pem'), material.key, { mode: 0o600 });
    await writeFile(join(dir, 'ca.pem'), material.caCert);
    tlsFlags.tlsCert = join(dir, 'chain.pem');
    tlsFlags.tlsKey = join(dir, 'key.pem');
    caCert = material.caCert;
    caCertFile = join(dir, 'ca.pem');
  }
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const { tls: _tlsOption, ...flags } = options;
  const config = serverConfig({ listen: '127.0.0.1:0', ...tlsFlags, ...flags, dataDir }, { KUBEGATE_ROOT_TOKEN: ROOT_TOKEN, ...options.env });
  if (options.tunnel) config.tunnel = options.tunnel;
  const logger = createLogger('kubegate-server', { destination, level: 'debug' });
  const app = await createKubegateServer(config, logger);
  let modules: RunningModules | undefined;
  try {
    modules = await wireModules(app, logger);
    await app.services.identity.ensureRoot(config.rootToken);
    await app.listen();
  } catch (err) {
    await modules?.stop();
    await app.close(0);
    throw err;
  }
  const url = app.url();
  // The external URL must be the real port, which is only known now.
  app.config.externalUrl = options.externalUrl ?? url;
  if (options.tls === 'generated') {
    caCert = app.trust.caPem!;
    caCertFile = app.tls!.caFile!;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // As the server process does: drain, then the modules stop (wired to the app), then the store.
    await app.close(1000);
  };
  return {
    app,
    modules: modules!,
    url,
    dataDir,
    rootToken: ROOT_TOKEN,
    ...(caCert ? { caCert, caCertFile } : {}),
    logs,
    api: apiClient(url, ROOT_TOKEN, caCert),
    fetch: (path, init) => undiciFetch(`${url}${path}`, { ...init, ...(caCert ? { dispatcher: new Agent({ connect: { ca: caCert } }) } : {}) }),
    stop,
    async close() {
      await stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  (method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>;
  as(token: string | null): ApiClient;
}

/** A tiny client for `/api/v4`; `token` null sends no credentials. */
export function apiClient(baseUrl: string, defaultToken: string | null, caCert?: string): ApiClient {
  const dispatcher = caCert ? new Agent({ connect: { ca: caCert } }) : undefined;
  const call = async (method: string, path: string, body?: unknown, token: string | null = defaultToken): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    if (token) headers['PRIVATE-TOKEN'] = token;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await undiciFetch(`${baseUrl}/api/v4${path}`, { method, headers, body: payload, ...(dispatcher ? { dispatcher } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (e.g. YAML or plain text): keep the text
    }
    // undici's Headers is the same class as the global one, with its own type declaration.
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed };
  };
  const client = call as ApiClient;
  client.as = (token) => apiClient(baseUrl, token, caCert);
  return client;
}
