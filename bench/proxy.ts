/**
 * The Kubernetes API proxy path against a direct call to the Kubernetes API, in one run:
 *
 *   node --import tsx bench/proxy.ts [--repeats 5] [--size-mib 100] [--quick]
 *
 * direct:  HTTPS client ──────────────────────────────────────────────▶ API simulator
 * proxied: HTTPS client ─▶ kubegate server ─▶ wss:// tunnel ─▶ kubegate agent ─▶ API simulator
 *
 * The server and the agent are real processes (so they run on their own cores, as in a
 * deployment); the client and the simulator share this process on both paths. Figures:
 * p50/p99 latency of a small GET one at a time, requests/s with 64 in flight, MiB/s of one
 * 100 MiB response. Rounds interleave direct and proxied; each figure is the median over
 * rounds and each ratio the median of the per-round ratios (the machine is shared and
 * noisy, and a round's two measurements see the same noise).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BULK_PATH, SMALL_PATH, startProxySetup, type ApiTarget } from './proxy-setup.js';
import { median } from './tunnel.js';

export interface ProxyBenchOptions {
  repeats?: number;
  sizeMiB?: number;
  concurrency?: number;
  /** Requests per req/s run. */
  requests?: number;
  /** Sequential requests per latency run. */
  latencySamples?: number;
  /** Write CPU profiles of the server and agent processes to this directory. */
  profileDir?: string | undefined;
  /** Only these measurements (default all). */
  only?: Array<'latency' | 'requests' | 'bulk'> | undefined;
}

export interface PathFigures {
  p50Ms: number;
  p99Ms: number;
  requestsPerSec: number;
  mibPerSec: number;
  /** CPU time per request in the latency run (one at a time), µs. */
  cpuPerSequentialUs: CpuSplit;
  /** CPU time per request in the req/s run, µs: server, agent, this process (client + simulator). */
  cpuPerRequestUs: CpuSplit;
  /** CPU time per MiB of the bulk body, ms. */
  cpuPerMiBMs: CpuSplit;
}

export interface CpuSplit {
  server: number;
  agent: number;
  local: number;
}

type ResolvedOptions = Required<Omit<ProxyBenchOptions, 'profileDir' | 'only'>> & Pick<ProxyBenchOptions, 'profileDir' | 'only'>;

export interface ProxyBenchResult {
  options: ResolvedOptions;
  direct: PathFigures;
  proxied: PathFigures;
  /** Medians of per-round differences/ratios (proxied vs direct). */
  addedP50Ms: number;
  addedP99Ms: number;
  requestsRatio: number;
  bulkRatio: number;
  /** 1-minute load average before and after the run (2 cores: above ~2 means others compete). */
  loadBefore: number;
  loadAfter: number;
}

/** The targets the proxy must meet (DESIGN/brief): added p50, req/s and bulk ratios. */
export const PROXY_TARGETS = { addedP50Ms: 0.3, requestsRatio: 0.7, bulkRatio: 0.6 } as const;

const DEFAULTS: ResolvedOptions = {
  repeats: 5,
  sizeMiB: 100,
  concurrency: 64,
  requests: 10_000,
  latencySamples: 2_000,
  profileDir: undefined,
  only: undefined,
};

export async function benchProxy(options: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const o = { ...DEFAULTS, ...options };
  const setup = await startProxySetup({ connections: o.concurrency, profileDir: o.profileDir });
  const wanted = (m: 'latency' | 'requests' | 'bulk'): boolean => !o.only || o.only.includes(m);
  const targets = [setup.direct, setup.proxied];
  const rounds = targets.map(() => [] as PathFigures[]);
  const loadBefore = loadavg()[0]!;
  const cpu = (): CpuSplit => ({ server: processCpuMs(setup.pids[0]!), agent: processCpuMs(setup.pids[1]!), local: localCpuMs() });
  try {
    for (const target of targets) await warmUp(target, o.concurrency);
    for (let r = 0; r < o.repeats; r++) {
      // Alternate who goes first, so neither path always runs on a warmer machine.
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const target = targets[i]!;
        // With --profile-dir, the children profile the proxied measurements only.
        const profiling = o.profileDir !== undefined && target === setup.proxied;
        if (profiling) await toggleProfilers(setup.pids);
        const cpuStart = cpu();
        const latency = wanted('latency') ? await latencies(target, o.latencySamples) : { p50Ms: NaN, p99Ms: NaN };
        const cpu0 = cpu();
        const requestsPerSec = wanted('requests') ? await requestsPerSecond(target, o.concurrency, o.requests) : NaN;
        const cpu1 = cpu();
        const mibPerSec = wanted('bulk') ? o.sizeMiB / (await timeDownload(target, o.sizeMiB * 1024 * 1024)) : NaN;
        const cpu2 = cpu();
        if (profiling) await toggleProfilers(setup.pids);
        rounds[i]!.push({
          ...latency,
          requestsPerSec,
          mibPerSec,
          cpuPerSequentialUs: cpuDelta(cpuStart, cpu0, 1000 / o.latencySamples),
          cpuPerRequestUs: cpuDelta(cpu0, cpu1, 1000 / o.requests),
          cpuPerMiBMs: cpuDelta(cpu1, cpu2, 1 / o.sizeMiB),
        });
      }
    }
  } catch (err) {
    (err as Error).message += ` (server log: ${setup.serverLog})`;
    throw err;
  } finally {
    await setup.close();
  }
  const [direct, proxied] = rounds as [PathFigures[], PathFigures[]];
  const paired = (f: (d: PathFigures, p: PathFigures) => number): number => median(direct.map((d, i) => f(d, proxied[i]!)));
  const split = (values: CpuSplit[]): CpuSplit => ({
    server: median(values.map((v) => v.server)),
    agent: median(values.map((v) => v.agent)),
    local: median(values.map((v) => v.local)),
  });
  const medians = (runs: PathFigures[]): PathFigures => ({
    p50Ms: median(runs.map((x) => x.p50Ms)),
    p99Ms: median(runs.map((x) => x.p99Ms)),
    requestsPerSec: median(runs.map((x) => x.requestsPerSec)),
    mibPerSec: median(runs.map((x) => x.mibPerSec)),
    cpuPerSequentialUs: split(runs.map((x) => x.cpuPerSequentialUs)),
    cpuPerRequestUs: split(runs.map((x) => x.cpuPerRequestUs)),
    cpuPerMiBMs: split(runs.map((x) => x.cpuPerMiBMs)),
  });
  return {
    options: o,
    direct: medians(direct),
    proxied: medians(proxied),
    addedP50Ms: paired((d, p) => p.p50Ms - d.p50Ms),
    addedP99Ms: paired((d, p) => p.p99Ms - d.p99Ms),
    requestsRatio: paired((d, p) => p.requestsPerSec / d.requestsPerSec),
    bulkRatio: paired((d, p) => p.mibPerSec / d.mibPerSec),
    loadBefore,
    loadAfter: loadavg()[0]!,
  };
}

/** user + system CPU of a process (all its threads), ms; NaN where /proc is missing. */
function processCpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS_PER_SEC = 100;

function localCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function cpuDelta(a: CpuSplit, b: CpuSplit, scale: number): CpuSplit {
  return { server: (b.server - a.server) * scale, agent: (b.agent - a.agent) * scale, local: (b.local - a.local) * scale };
}

async function toggleProfilers(pids: number[]): Promise<void> {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function warmUp(target: ApiTarget, concurrency: number): Promise<void> {
  await target.get(`${BULK_PATH}?bytes=${16 * 1024 * 1024}`);
  // Open every connection of the pool, so the req/s runs measure no handshakes.
  await Promise.all(Array.from({ length: concurrency * 4 }, () => target.get(SMALL_PATH)));
  for (let i = 0; i < 300; i++) await target.get(SMALL_PATH);
}

async function latencies(target: ApiTarget, samples: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await target.get(SMALL_PATH);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function requestsPerSecond(target: ApiTarget, concurrency: number, total: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async function worker() {
      while (next++ < total) await target.get(SMALL_PATH);
    }),
  );
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function timeDownload(target: ApiTarget, size: number): Promise<number> {
  const started = process.hrtime.bigint();
  const bytes = await target.get(`${BULK_PATH}?bytes=${size}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (bytes !== size) throw new Error(`${target.name}: received ${bytes} of ${size} bytes`);
  return seconds;
}

/** The result as text lines, each figure with its ratio to the direct baseline and its target. */
export function formatProxyBench(r: ProxyBenchResult): string {
  const o = r.options;
  const d = r.direct;
  const p = r.proxied;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  return [
    `k8s proxy benchmark: client → kubegate server → wss:// tunnel → agent process → API simulator, vs client → API simulator;`,
    `  ${o.latencySamples} sequential GETs, ${o.concurrency} in flight x ${o.requests}, ${o.sizeMiB} MiB body; medians of ${o.repeats} interleaved rounds`,
    `  small GET p50     direct ${d.p50Ms.toFixed(3)} ms   proxied ${p.p50Ms.toFixed(3)} ms = ${(p.p50Ms / d.p50Ms).toFixed(2)}x, +${r.addedP50Ms.toFixed(3)} ms   (target +≤ ${PROXY_TARGETS.addedP50Ms} ms: ${verdict(r.addedP50Ms <= PROXY_TARGETS.addedP50Ms)})`,
    `  small GET p99     direct ${d.p99Ms.toFixed(3)} ms   proxied ${p.p99Ms.toFixed(3)} ms = ${(p.p99Ms / d.p99Ms).toFixed(2)}x, +${r.addedP99Ms.toFixed(3)} ms`,
    `  ${String(o.concurrency).padStart(2)} in flight      direct ${d.requestsPerSec.toFixed(0)} req/s   proxied ${p.requestsPerSec.toFixed(0)} req/s = ${r.requestsRatio.toFixed(2)}x   (target ≥ ${PROXY_TARGETS.requestsRatio}x: ${verdict(r.requestsRatio >= PROXY_TARGETS.requestsRatio)})`,
    `  ${o.sizeMiB} MiB body     direct ${d.mibPerSec.toFixed(0)} MiB/s   proxied ${p.mibPerSec.toFixed(0)} MiB/s = ${r.bulkRatio.toFixed(2)}x   (target ≥ ${PROXY_TARGETS.bulkRatio}x: ${verdict(r.bulkRatio >= PROXY_TARGETS.bulkRatio)})`,
    `  CPU per request, one at a time   direct: client+simulator ${d.cpuPerSequentialUs.local.toFixed(0)} µs; proxied: client+simulator ${p.cpuPerSequentialUs.local.toFixed(0)} µs, server ${p.cpuPerSequentialUs.server.toFixed(0)} µs, agent ${p.cpuPerSequentialUs.agent.toFixed(0)} µs`,
    `  CPU per request, ${o.concurrency} in flight   direct: client+simulator ${d.cpuPerRequestUs.local.toFixed(0)} µs; proxied: client+simulator ${p.cpuPerRequestUs.local.toFixed(0)} µs, server ${p.cpuPerRequestUs.server.toFixed(0)} µs, agent ${p.cpuPerRequestUs.agent.toFixed(0)} µs`,
    `  projection, each process on its own core (as in a deployment): ${o.concurrency} in flight ≈ ${ownCores(d.cpuPerRequestUs, p.cpuPerRequestUs)}, bulk ≈ ${ownCores(d.cpuPerMiBMs, p.cpuPerMiBMs)} of direct (the busiest process sets the pace; a projection, not a measurement)`,
    `  CPU per MiB of the body          direct: client+simulator ${d.cpuPerMiBMs.local.toFixed(1)} ms; proxied: client+simulator ${p.cpuPerMiBMs.local.toFixed(1)} ms, server ${p.cpuPerMiBMs.server.toFixed(1)} ms, agent ${p.cpuPerMiBMs.agent.toFixed(1)} ms`,
    `  load average ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} on ${availableParallelism()} cores${Math.max(r.loadBefore, r.loadAfter) > availableParallelism() ? ': other work competed, the proxied figures are pessimistic' : ''}`,
  ].join('\n');
}

/** Throughput ratio if every process had a core to itself: the busiest one sets the pace. */
function ownCores(direct: CpuSplit, proxied: CpuSplit): string {
  return `${(direct.local / Math.max(proxied.local, proxied.server, proxied.agent)).toFixed(2)}x`;
}

export function parseProxyArgs(argv: string[]): ProxyBenchOptions {
  const options: ProxyBenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--repeats') options.repeats = Number(argv[++i]);
    else if (arg === '--size-mib') options.sizeMiB = Number(argv[++i]);
    else if (arg === '--requests') options.requests = Number(argv[++i]);
    else if (arg === '--latency-samples') options.latencySamples = Number(argv[++i]);
    else if (arg === '--profile-dir') options.profileDir = argv[++i];
    else if (arg === '--only') options.only = argv[++i]!.split(',') as ProxyBenchOptions['only'];
    else if (arg === '--quick') Object.assign(options, { repeats: 1, sizeMiB: 20, requests: 2_000, latencySamples: 300 });
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatProxyBench(await benchProxy(parseProxyArgs(process.argv.slice(2)))));
}
