/**
 * Long streams against one agent pod's way to the Kubernetes API (issue 8, item 11):
 *
 *   node --import tsx bench/kube-streams.ts [--watches 500] [--short 200]
 *
 * The Kubernetes API simulator runs in a child process (its memory apart, 100 HTTP/2
 * streams per connection like the real API server). For each way of carrying watches the
 * agent could use, this opens N watches and, while they are open, sends short requests one
 * at a time through the agent's pool for short requests:
 *
 * - `one pool` (before): every request shares one HTTP/1.1 pool of 256 connections, as the
 *   agent did; with more watches than connections, short requests wait behind them;
 * - `HTTP/1.1 apart`: watches get a pool of their own (a connection each);
 * - `HTTP/2`: watches are streams multiplexed on HTTP/2 connections (`KubeH2Client`).
 *
 * Figures are ratios to baselines measured in the same run: short-request latency against
 * the same requests with no watch open; time to open the watches, memory and connections
 * against `HTTP/1.1 apart`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { setMaxListeners } from 'node:events';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { KubeH2Client } from '../src/modules/kube_proxy/agent_h2.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const WATCH_PATH = '/api/v1/namespaces/default/configmaps?watch=true';
const SHORT_PATH = '/api/v1/namespaces/default/configmaps?limit=1';
/** Pause after a carrier closed, for its sockets and buffers to go before the next is measured. */
const SETTLE_MS = 1_000;
/** How long a short request may wait before it counts as blocked. */
const BLOCKED_AFTER_MS = 5_000;

interface Sim {
  url: string;
  token: string;
  ca: string;
  pid: number;
  child: ChildProcess;
}

async function startSimChild(): Promise<Sim> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/kube-apiserver/dev-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (!line.startsWith('{')) continue;
    const info = JSON.parse(line) as { url: string; adminToken: string; caFile: string };
    return { url: info.url, token: info.adminToken, ca: await readFile(info.caFile, 'utf8'), pid: child.pid!, child };
  }
  throw new Error('the simulator exited before it was ready');
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

/** This process's live memory (heap and buffers, after GC): RSS never shrinks, this does. */
function ownMemory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** One open watch: resolves once its headers arrived; `close` ends it. */
interface OpenWatch {
  close(): void;
}

interface WatchCarrier {
  name: string;
  open(): Promise<OpenWatch>;
  connections(): number;
  close(): Promise<void>;
}

function h1Carrier(sim: Sim, name: string, pool: Pool, sockets: () => number): WatchCarrier {
  return {
    name,
    async open() {
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      const res = await pool.request({ path: WATCH_PATH, method: 'GET', headers: { authorization: `Bearer ${sim.token}` }, signal: controller.signal });
      res.body.on('error', () => undefined);
      res.body.resume();
      return { close: () => controller.abort() };
    },
    connections: sockets,
    close: () => pool.destroy().catch(() => undefined),
  };
}

function h2Carrier(sim: Sim): WatchCarrier {
  const client = new KubeH2Client({ origin: sim.url, tls: { ca: sim.ca }, maxSessions: 64 });
  return {
    name: 'HTTP/2',
    async open() {
      const stream = await client.open({ ':method': 'GET', ':path': WATCH_PATH, authorization: `Bearer ${sim.token}` }, true);
      await new Promise<void>((resolve, reject) => {
        stream.once('response', () => resolve());
        stream.once('error', reject);
      });
      stream.on('error', () => undefined);
      stream.resume();
      return { close: () => stream.close() };
    },
    connections: () => client.sessions,
    async close() {
      client.close();
    },
  };
}

function newPool(sim: Sim, connections: number): { pool: Pool; sockets: () => number } {
  let open = 0;
  const pool = new Pool(sim.url, { connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, connect: { ca: sim.ca } });
  pool.on('connect', () => open++);
  pool.on('disconnect', () => open--);
  return { pool, sockets: () => open };
}

/** p50 of `count` short requests, one at a time; null when one waited past BLOCKED_AFTER_MS. */
async function shortLatency(sim: Sim, pool: Pool, count: number): Promise<number | null> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await Promise.race([
      pool.request({ path: SHORT_PATH, method: 'GET', headers: { authorization: `Bearer ${sim.token}` } }).then(async (r) => {
        await r.body.dump();
        return r.statusCode;
      }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), BLOCKED_AFTER_MS)),
    ]);
    if (res === null) return null;
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export interface StreamsResult {
  name: string;
  /** Watches actually open (one pool: at most its connections). */
  opened: number;
  openMs: number;
  clientBytesPerWatch: number;
  serverBytesPerWatch: number;
  connections: number;
  shortP50Ms: number | null;
}

async function measure(sim: Sim, carrier: WatchCarrier, shortPool: Pool, watches: number, shorts: number, shareLimit?: number): Promise<StreamsResult> {
  const clientBefore = ownMemory();
  const serverBefore = await rssOf(sim.pid);
  const started = performance.now();
  // With one shared pool, only as many watches as connections ever get an answer.
  const opening = Array.from({ length: watches }, () => carrier.open());
  // Watches that never got a connection fail when the carrier closes: expected.
  for (const p of opening) p.catch(() => undefined);
  const settled = shareLimit === undefined ? await Promise.all(opening) : await Promise.all(opening.slice(0, shareLimit));
  const openMs = performance.now() - started;
  const clientAfter = ownMemory();
  const serverAfter = await rssOf(sim.pid);
  const shortP50Ms = await shortLatency(sim, shortPool, shorts);
  const connections = carrier.connections();
  for (const w of settled) w.close();
  await carrier.close();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return {
    name: carrier.name,
    opened: settled.length,
    openMs,
    clientBytesPerWatch: (clientAfter - clientBefore) / settled.length,
    serverBytesPerWatch: (serverAfter - serverBefore) / settled.length,
    connections,
    shortP50Ms,
  };
}

export async function benchKubeStreams(options: { watches?: number; shorts?: number } = {}): Promise<{ idleP50Ms: number; results: StreamsResult[]; watches: number }> {
  const watches = options.watches ?? 500;
  const shorts = options.shorts ?? 200;
  const sim = await startSimChild();
  try {
    const short = newPool(sim, 256);
    await shortLatency(sim, short.pool, 50); // warm up
    const idleP50Ms = (await shortLatency(sim, short.pool, shorts))!;
    const results: StreamsResult[] = [];
    // HTTP/2 first: what one carrier leaves behind (sockets closing, buffers) must not be
    // counted against the next, so each is followed by a pause (see `measure`).
    results.push(await measure(sim, h2Carrier(sim), short.pool, watches, shorts));
    const apart = newPool(sim, watches);
    results.push(await measure(sim, h1Carrier(sim, 'HTTP/1.1 apart', apart.pool, apart.sockets), short.pool, watches, shorts));
    // Before: watches and short requests share the pool (the short requests go through it too).
    const shared = newPool(sim, 256);
    results.push(await measure(sim, h1Carrier(sim, 'one pool (before)', shared.pool, shared.sockets), shared.pool, watches, Math.min(shorts, 5), 256));
    await short.pool.close();
    return { idleP50Ms, results, watches };
  } finally {
    sim.child.kill('SIGKILL');
  }
}

export function formatKubeStreamsBench(r: Awaited<ReturnType<typeof benchKubeStreams>>): string {
  const base = r.results.find((x) => x.name === 'HTTP/1.1 apart')!;
  const ratio = (value: number, of: number) => `${(value / of).toFixed(2)}x`;
  const lines = [
    `long streams through one agent pod: ${r.watches} watches; short requests one at a time (idle p50 ${r.idleP50Ms.toFixed(2)} ms = baseline)`,
    '| carrier | watches open | time to open (vs HTTP/1.1 apart) | agent memory per watch | API server memory per watch | connections | short p50 with the watches open (vs idle) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.results) {
    lines.push(
      `| ${x.name} | ${x.opened} of ${r.watches} | ${x.openMs.toFixed(0)} ms (${ratio(x.openMs, base.openMs)}) | ${(x.clientBytesPerWatch / 1024).toFixed(1)} KiB (${ratio(x.clientBytesPerWatch, base.clientBytesPerWatch)}) | ${(x.serverBytesPerWatch / 1024).toFixed(1)} KiB (${ratio(x.serverBytesPerWatch, base.serverBytesPerWatch)}) | ${x.connections} (${ratio(x.connections, base.connections)}) | ${x.shortP50Ms === null ? `blocked (> ${BLOCKED_AFTER_MS / 1000} s)` : `${x.shortP50Ms.toFixed(2)} ms (${ratio(x.shortP50Ms, r.idleP50Ms)})`} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : undefined;
  };
  const result = await benchKubeStreams({ watches: arg('--watches'), shorts: arg('--short') });
  console.log(formatKubeStreamsBench(result));
  process.exit(0);
}
