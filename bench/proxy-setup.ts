/**
 * What `bench/proxy.ts` measures, started on loopback: the Kubernetes API simulator (in
 * this process, with a plain HTTP backend behind a Service for the bulk body), a real
 * Kubegate server (`kubegate server`, child process, HTTPS) and a real agent (`kubegate
 * agent`, child process, wss:// to the server), and two bare Node.js HTTPS reverse proxies
 * (`bench/bare-proxy.ts`, one child process each) chained in front of the simulator. Three
 * clients share one shape: `direct` calls the simulator with the agent's ServiceAccount
 * token, `proxied` calls the server's k8s proxy with a CI job's `ci:<agent id>:<job
 * token>`, the way kubectl in a job does, and `floor` calls the first bare proxy with the
 * direct path's token (passed through unchanged, so the simulator does the same work).
 *
 * The server and the agent run what users run: `bin/kubegate.js` over `dist/`, which is
 * rebuilt from the sources first (`tsconfig.build.json`, a few seconds), so the figures are
 * always those of the code in the tree and never of a stale build.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startKubeApiServer, type KubeApiSimulator } from '../test/kube-apiserver/index.js';
import { getTlsMaterial } from '../test/kube-apiserver/api/certs.js';
import { apiClient, type ApiClient } from '../test/helpers/server.js';
import { eventually, startAgent, type AgentProcess } from '../test/helpers/agent.js';
import { bindAgentClusterAdmin } from '../test/helpers/ci.js';
import { pushFiles } from '../test/helpers/git.js';

const ROOT_TOKEN = 'kgpat-bench-root-token-0123456789';
const PROXY_PREFIX = '/-/kubernetes-agent/k8s-proxy';
const NAMESPACE = 'default';
export const SMALL_PATH = `/api/v1/namespaces/${NAMESPACE}/configmaps/bench-small`;
/** A Service whose proxy subresource reaches `bulkBackend`: `…/proxy/bulk?bytes=N`. */
export const BULK_PATH = `/api/v1/namespaces/${NAMESPACE}/services/bench-bulk:http/proxy/bulk`;
const BULK_CHUNK = Buffer.alloc(1024 * 1024, 0x61);

/** A keep-alive HTTPS client for one target (path prefix + credentials). */
export interface ApiTarget {
  name: string;
  /** GET `path` (a Kubernetes API path), read the whole body; resolves with its size. */
  get(path: string): Promise<number>;
  close(): Promise<void>;
}

export interface ProxySetup {
  direct: ApiTarget;
  proxied: ApiTarget;
  /** client → bare HTTPS proxy → bare HTTPS proxy → simulator: what the machine allows. */
  floor: ApiTarget;
  /** Where the server's log went (for when something fails). */
  serverLog: string;
  /** The server's and the agent's process ids (to signal the profiler, see cpu-profile.mjs). */
  pids: number[];
  /** The bare proxies' process ids: the client's side first, then the simulator's. */
  floorPids: number[];
  close(): Promise<void>;
}

export interface SetupOptions {
  /** Connections each client may open (the concurrency of the req/s run). */
  connections: number;
  /** Write CPU profiles of the server and agent processes here (`--cpu-prof`). */
  profileDir?: string | undefined;
}

const REPO = join(import.meta.dirname, '..');
/** `kubegate` as published: the compiled CLI. */
const KUBEGATE_BIN = join(REPO, 'bin', 'kubegate.js');

/** Compiles `src/` into `dist/` (what `bin/kubegate.js` runs). */
function buildKubegate(): void {
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });
}

export async function startProxySetup(options: SetupOptions): Promise<ProxySetup> {
  buildKubegate();
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-bench-proxy-'));
  const cleanups: Array<() => Promise<unknown>> = [async () => rm(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const backend = await startBulkBackend();
    cleanups.push(() => backend.close());
    const sim = await startKubeApiServer({ fluxCrds: false });
    cleanups.push(() => sim.close());
    prepareCluster(sim, backend.port);

    const profileEnv: NodeJS.ProcessEnv = options.profileDir ? { NODE_OPTIONS: `--import ${join(import.meta.dirname, 'cpu-profile.mjs')}`, BENCH_CPU_PROFILE_DIR: options.profileDir } : {};
    const server = await startServerProcess(dir, profileEnv);
    cleanups.push(() => server.stop());
    const api = apiClient(server.url, ROOT_TOKEN, server.caCert);
    const { projectId, agentId, agentToken } = await registerAgent(api);
    const agent = await startAgent({
      serverUrl: server.url,
      token: agentToken,
      sim,
      podName: 'bench-agent-pod',
      caCertFile: server.caCertFile,
      // Debug logging would put a line per stream on the parent's event loop.
      env: { KUBEGATE_LOG_LEVEL: 'info', ...profileEnv },
      command: [KUBEGATE_BIN],
    });
    cleanups.push(() => agent.stop());
    await waitForConnection(api, projectId, agentId, agent);
    // A job runs on a branch that exists.
    await pushFiles({ url: server.url, rootToken: ROOT_TOKEN, caCertFile: server.caCertFile, caCert: server.caCert, api, fetch: undefined as never }, 'bench/app', {}, { message: 'create main' });
    const job = await api('POST', `/projects/${projectId}/jobs`, { ref: 'main' });
    if (job.status !== 201) throw new Error(`creating the job answered ${job.status}: ${JSON.stringify(job.body)}`);

    // The floor: two bare proxies with the server's TLS material, unprofiled, like nothing.
    const simCaFile = join(dir, 'sim-ca.pem');
    await writeFile(simCaFile, sim.caCert);
    const bare2 = await startBareProxy(sim.url, simCaFile, server, options.connections);
    cleanups.push(() => bare2.stop());
    const bare1 = await startBareProxy(bare2.url, server.caCertFile, server, options.connections);
    cleanups.push(() => bare1.stop());

    const saToken = sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
    const direct = apiTarget('direct', sim.url, '', saToken, sim.caCert, options.connections);
    const proxied = apiTarget('proxied', server.url, PROXY_PREFIX, `ci:${agentId}:${job.body.token}`, server.caCert, options.connections);
    const floor = apiTarget('floor', bare1.url, '', saToken, server.caCert, options.connections);
    cleanups.push(() => direct.close(), () => proxied.close(), () => floor.close());
    for (const target of [direct, proxied, floor]) {
      const bytes = await target.get(SMALL_PATH);
      if (bytes < 100) throw new Error(`${target.name}: GET ${SMALL_PATH} returned only ${bytes} bytes`);
    }
    return { direct, proxied, floor, serverLog: server.logFile, pids: [server.pid, agent.child.pid!], floorPids: [bare1.pid, bare2.pid], close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The objects the benchmark reads, and RBAC so that the agent's ServiceAccount may. */
function prepareCluster(sim: KubeApiSimulator, backendPort: number): void {
  bindAgentClusterAdmin(sim);
  // About the size of a typical small object (~600 bytes of JSON with metadata).
  sim.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'bench-small', namespace: NAMESPACE, labels: { app: 'bench', tier: 'backend' } },
    data: { 'app.properties': 'mode=production\nreplicas=3\nlog.level=info\nfeature.flags=a,b,c\n', 'owner': 'platform-team' },
  });
  sim.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'bench-bulk', namespace: NAMESPACE },
    spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort }] },
  });
  sim.setServiceTarget(NAMESPACE, 'bench-bulk', { host: '127.0.0.1', port: backendPort }, 'http');
}

/** Plain HTTP behind the Service: `GET /bulk?bytes=N` answers N bytes, with backpressure. */
async function startBulkBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(function bulkBody(req, res) {
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes') ?? 0);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const chunk = size - sent >= BULK_CHUNK.length ? BULK_CHUNK : BULK_CHUNK.subarray(0, size - sent);
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface ServerProcess {
  url: string;
  caCert: string;
  caCertFile: string;
  /** Its certificate chain and key (the bare proxies serve the same). */
  certFile: string;
  keyFile: string;
  logFile: string;
  pid: number;
  stop(): Promise<void>;
}

/** `kubegate server` over HTTPS (private CA) with SQLite in `dir`; its log goes to a file. */
async function startServerProcess(dir: string, extraEnv: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const material = await getTlsMaterial();
  const tlsDir = join(dir, 'tls');
  await mkdir(tlsDir);
  await writeFile(join(tlsDir, 'chain.pem'), `${material.cert.trim()}\n${material.caCert.trim()}\n`);
  await writeFile(join(tlsDir, 'key.pem'), material.key, { mode: 0o600 });
  await writeFile(join(tlsDir, 'ca.pem'), material.caCert);
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const logFile = join(dir, 'server.log');
  const log = createWriteStream(logFile);
  await once(log, 'open');
  const args = [KUBEGATE_BIN, 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'), '--tls-cert', join(tlsDir, 'chain.pem'), '--tls-key', join(tlsDir, 'key.pem')];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBEGATE_ROOT_TOKEN: ROOT_TOKEN, KUBEGATE_LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', log, log],
  });
  const exited = once(child, 'exit');
  const stopChild = stopper(child, exited);
  const stop = async (): Promise<void> => {
    await stopChild();
    log.close();
  };
  const api = apiClient(url, ROOT_TOKEN, material.caCert);
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${await readFile(logFile, 'utf8')}`);
      return (await api('GET', '/user')).status === 200 ? true : undefined;
    }, 30_000, 'the Kubegate server answering');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, caCert: material.caCert, caCertFile: join(tlsDir, 'ca.pem'), certFile: join(tlsDir, 'chain.pem'), keyFile: join(tlsDir, 'key.pem'), logFile, pid: child.pid!, stop };
}

/** Stops a child: SIGTERM, then SIGKILL after 8 s; resolves once it has exited. */
function stopper(child: ChildProcess, exited: Promise<unknown>): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  };
}

/** `bench/bare-proxy.ts` in its own process (through tsx; nothing per request goes through its helpers). */
async function startBareProxy(upstream: string, upstreamCaFile: string, tls: { certFile: string; keyFile: string }, maxSockets: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'bare-proxy.ts'), '--upstream', upstream, '--upstream-ca', upstreamCaFile, '--cert', tls.certFile, '--key', tls.keyFile, '--max-sockets', String(maxSockets)];
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const stop = stopper(child, exited);
  try {
    const lines = createInterface({ input: child.stdout! });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [line] = (await Promise.race([once(lines, 'line'), exited.then(() => [undefined])])) as [string | undefined];
    clearTimeout(timeout);
    lines.close();
    if (line === undefined) throw new Error(`the bare proxy in front of ${upstream} exited with ${child.exitCode ?? child.signalCode} before listening`);
    const { port } = JSON.parse(line) as { port: number };
    return { url: `https://127.0.0.1:${port}`, pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function registerAgent(api: ApiClient): Promise<{ projectId: number; agentId: number; agentToken: string }> {
  const expect = (r: { status: number; body: any }, status: number, what: string): any => {
    if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const group = expect(await api('POST', '/groups', { name: 'bench', path: 'bench' }), 201, 'creating the group');
  const project = expect(await api('POST', '/projects', { name: 'app', path: 'app', namespace_id: group.id }), 201, 'creating the project');
  // The job's project is the agent's configuration project: the implicit grant, acting
  // as the agent (no impersonation), so both paths reach the simulator as the same user.
  const agent = expect(await api('POST', `/projects/${project.id}/cluster_agents`, { name: 'bench' }), 201, 'registering the agent');
  const token = expect(await api('POST', `/projects/${project.id}/cluster_agents/${agent.id}/tokens`, { name: 'bench' }), 201, 'creating the agent token');
  return { projectId: project.id, agentId: agent.id, agentToken: token.token };
}

async function waitForConnection(api: ApiClient, projectId: number, agentId: number, agent: AgentProcess): Promise<void> {
  await eventually(async () => {
    if (agent.child.exitCode !== null) throw new Error(`the agent exited with ${agent.child.exitCode}: ${JSON.stringify(agent.logs)}`);
    const r = await api('GET', `/projects/${projectId}/cluster_agents/${agentId}`);
    return r.body?.connections?.length > 0 ? true : undefined;
  }, 30_000, 'the agent connected');
}

function apiTarget(name: string, origin: string, prefix: string, token: string, ca: string, connections: number): ApiTarget {
  const pool = new Pool(origin, { connections, pipelining: 1, connect: { ca } });
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'kubectl/v1.32.3 (linux/amd64) kubernetes/bench' };
  return {
    name,
    async get(path) {
      const { statusCode, body } = await pool.request({ method: 'GET', path: `${prefix}${path}`, headers });
      let bytes = 0;
      for await (const chunk of body) bytes += (chunk as Buffer).length;
      if (statusCode !== 200) throw new Error(`${name}: GET ${path} answered ${statusCode}`);
      return bytes;
    },
    close: () => pool.close(),
  };
}

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
