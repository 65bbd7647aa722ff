/**
 * The Kubernetes API proxy path against a direct call to the Kubernetes API, in one run:
 *
 *   node --import tsx bench/proxy.ts [--repeats 5] [--size-mib 100] [--requests 10000] [--only latency,requests,bulk] [--profile-dir DIR] [--quick]
 *
 * direct:  HTTPS client ──────────────────────────────────────────────▶ API simulator
 * proxied: HTTPS client ─▶ kubegate server ─▶ wss:// tunnel ─▶ kubegate agent ─▶ API simulator
 * floor:   HTTPS client ─▶ bare HTTPS proxy ─▶ bare HTTPS proxy ─────────────────▶ API simulator
 *
 * The server and the agent are real processes (so they run on their own cores, as in a
 * deployment), and so are the floor's two bare Node.js proxies (`bench/bare-proxy.ts`):
 * the floor is what any two-process Node.js proxy path costs on this machine, the
 * reference that tells the machine's limits from Kubegate's costs. The client and the
 * simulator share this process on all paths. Figures: p50/p99 latency of a small GET one
 * at a time, requests/s with 64 in flight, MiB/s of one 100 MiB response. Rounds
 * interleave the three paths (the order rotates per round); each figure is the median
 * over rounds and each ratio the median of the per-round ratios (the machine is shared and
 * noisy, and a round's measurements see the same noise).
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
  /** CPU time per request in the req/s run, µs: this process (client + simulator) and the path's children. */
  cpuPerRequestUs: CpuSplit;
  /** CPU time per MiB of the bulk body, ms. */
  cpuPerMiBMs: CpuSplit;
}

export interface CpuSplit {
  /** This process: client + simulator (+ bulk backend). */
  local: number;
  /** The path's child processes, in `PROCESS_NAMES` order (proxied: server, agent; floor: proxy 1, proxy 2). */
  children: number[];
}

/** The process names of each path's children, for the CPU lines. */
const PROCESS_NAMES = { direct: [], proxied: ['server', 'agent'], floor: ['proxy 1', 'proxy 2'] } as const;

type ResolvedOptions = Required<Omit<ProxyBenchOptions, 'profileDir' | 'only'>> & Pick<ProxyBenchOptions, 'profileDir' | 'only'>;

export interface ProxyBenchResult {
  options: ResolvedOptions;
  direct: PathFigures;
  proxied: PathFigures;
  /** Two bare Node.js HTTPS proxies (child processes) in front of the same simulator. */
  floor: PathFigures;
  /** Medians of per-round differences/ratios (proxied vs direct). */
  addedP50Ms: number;
  addedP99Ms: number;
  requestsRatio: number;
  bulkRatio: number;
  /** The same for the floor vs direct: what two bare proxy processes cost on this machine. */
  floorVsDirect: PairedFigures;
  /** Proxied vs the floor: the latency Kubegate adds beyond it, the share of its throughput Kubegate keeps. */
  proxiedVsFloor: PairedFigures;
  /** 1-minute load average before and after the run (2 cores: above ~2 means others compete). */
  loadBefore: number;
  loadAfter: number;
}

export interface PairedFigures {
  addedP50Ms: number;
  addedP99Ms: number;
  requestsRatio: number;
  bulkRatio: number;
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
  // direct, proxied, floor: each with the child processes whose CPU it is charged.
  const targets = [
    { target: setup.direct, pids: [] as number[] },
    { target: setup.proxied, pids: setup.pids },
    { target: setup.floor, pids: setup.floorPids },
  ];
  const rounds = targets.map(() => [] as PathFigures[]);
  const loadBefore = loadavg()[0]!;
  try {
    for (const { target } of targets) await warmUp(target, o.concurrency);
    for (let r = 0; r < o.repeats; r++) {
      // Rotate who goes first, so no path always runs on a warmer (or colder) machine.
      const order = targets.map((_, k) => (r + k) % targets.length);
      for (const i of order) {
        const { target, pids } = targets[i]!;
        const cpu = (): CpuSplit => ({ local: localCpuMs(), children: pids.map(processCpuMs) });
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
  const [direct, proxied, floor] = rounds as [PathFigures[], PathFigures[], PathFigures[]];
  /** Medians of per-round differences and ratios of `b` against the baseline `a`. */
  const paired = (a: PathFigures[], b: PathFigures[]): PairedFigures => {
    const per = (f: (x: PathFigures, y: PathFigures) => number): number => median(a.map((x, i) => f(x, b[i]!)));
    return {
      addedP50Ms: per((x, y) => y.p50Ms - x.p50Ms),
      addedP99Ms: per((x, y) => y.p99Ms - x.p99Ms),
      requestsRatio: per((x, y) => y.requestsPerSec / x.requestsPerSec),
      bulkRatio: per((x, y) => y.mibPerSec / x.mibPerSec),
    };
  };
  const split = (values: CpuSplit[]): CpuSplit => ({
    local: median(values.map((v) => v.local)),
    children: values[0]!.children.map((_, k) => median(values.map((v) => v.children[k]!))),
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
    floor: medians(floor),
    ...paired(direct, proxied),
    floorVsDirect: paired(direct, floor),
    proxiedVsFloor: paired(floor, proxied),
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
  return { local: (b.local - a.local) * scale, children: b.children.map((ms, k) => (ms - a.children[k]!) * scale) };
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

/** The result as text lines, each figure with its ratio to the direct baseline and its target, and the floor's. */
export function formatProxyBench(r: ProxyBenchResult): string {
  const o = r.options;
  const d = r.direct;
  const p = r.proxied;
  const f = r.floor;
  const fd = r.floorVsDirect;
  const pf = r.proxiedVsFloor;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  /** The floor's verdict; with --only, what was not measured says so. */
  const floorVerdict = (value: number, ok: boolean): string => (Number.isNaN(value) ? 'not measured' : verdict(ok));
  const signed = (ms: number): string => `${ms < 0 ? '-' : '+'}${Math.abs(ms).toFixed(3)} ms`;
  const vsFloor = '    vs the floor   ';
  /** "direct: client+simulator 238 µs; proxied: client+simulator 646 µs, server 700 µs, agent 555 µs; floor: …" */
  const cpuLine = (pick: (x: PathFigures) => CpuSplit, digits: number, unit: string): string =>
    (['direct', 'proxied', 'floor'] as const)
      .map((name) => {
        const split = pick(r[name]);
        const children = PROCESS_NAMES[name].map((child, k) => `, ${child} ${split.children[k]!.toFixed(digits)} ${unit}`).join('');
        return `${name}: client+simulator ${split.local.toFixed(digits)} ${unit}${children}`;
      })
      .join('; ');
  return [
    `k8s proxy benchmark: client → kubegate server → wss:// tunnel → agent process → API simulator, vs client → API simulator;`,
    `  floor (reference): client → bare Node.js HTTPS proxy → bare Node.js HTTPS proxy → API simulator, each proxy its own process doing nothing but forward`,
    `  ${o.latencySamples} sequential GETs, ${o.concurrency} in flight x ${o.requests}, ${o.sizeMiB} MiB body; medians of ${o.repeats} interleaved rounds (order rotated per round)`,
    `  small GET p50     direct ${d.p50Ms.toFixed(3)} ms   proxied ${p.p50Ms.toFixed(3)} ms = ${(p.p50Ms / d.p50Ms).toFixed(2)}x, +${r.addedP50Ms.toFixed(3)} ms   (target +≤ ${PROXY_TARGETS.addedP50Ms} ms: ${verdict(r.addedP50Ms <= PROXY_TARGETS.addedP50Ms)})`,
    `${vsFloor}floor ${f.p50Ms.toFixed(3)} ms = ${signed(fd.addedP50Ms)} over direct   proxied ${signed(pf.addedP50Ms)} beyond the floor`,
    `  small GET p99     direct ${d.p99Ms.toFixed(3)} ms   proxied ${p.p99Ms.toFixed(3)} ms = ${(p.p99Ms / d.p99Ms).toFixed(2)}x, +${r.addedP99Ms.toFixed(3)} ms`,
    `${vsFloor}floor ${f.p99Ms.toFixed(3)} ms = ${signed(fd.addedP99Ms)} over direct   proxied ${signed(pf.addedP99Ms)} beyond the floor`,
    `  ${String(o.concurrency).padStart(2)} in flight      direct ${d.requestsPerSec.toFixed(0)} req/s   proxied ${p.requestsPerSec.toFixed(0)} req/s = ${r.requestsRatio.toFixed(2)}x   (target ≥ ${PROXY_TARGETS.requestsRatio}x: ${verdict(r.requestsRatio >= PROXY_TARGETS.requestsRatio)})`,
    `${vsFloor}floor ${f.requestsPerSec.toFixed(0)} req/s = ${fd.requestsRatio.toFixed(2)}x direct   proxied keeps ${pf.requestsRatio.toFixed(2)}x of the floor`,
    `  ${o.sizeMiB} MiB body     direct ${d.mibPerSec.toFixed(0)} MiB/s   proxied ${p.mibPerSec.toFixed(0)} MiB/s = ${r.bulkRatio.toFixed(2)}x   (target ≥ ${PROXY_TARGETS.bulkRatio}x: ${verdict(r.bulkRatio >= PROXY_TARGETS.bulkRatio)})`,
    `${vsFloor}floor ${f.mibPerSec.toFixed(0)} MiB/s = ${fd.bulkRatio.toFixed(2)}x direct   proxied keeps ${pf.bulkRatio.toFixed(2)}x of the floor`,
    `  the floor against the same targets (two bare proxies, this machine, this run): p50 ${signed(fd.addedP50Ms)}: ${floorVerdict(fd.addedP50Ms, fd.addedP50Ms <= PROXY_TARGETS.addedP50Ms)}; ${o.concurrency} in flight ${fd.requestsRatio.toFixed(2)}x: ${floorVerdict(fd.requestsRatio, fd.requestsRatio >= PROXY_TARGETS.requestsRatio)}; bulk ${fd.bulkRatio.toFixed(2)}x: ${floorVerdict(fd.bulkRatio, fd.bulkRatio >= PROXY_TARGETS.bulkRatio)}`,
    `  CPU per request, one at a time   ${cpuLine((x) => x.cpuPerSequentialUs, 0, 'µs')}`,
    `  CPU per request, ${o.concurrency} in flight   ${cpuLine((x) => x.cpuPerRequestUs, 0, 'µs')}`,
    `  projection, each process on its own core (as in a deployment): ${o.concurrency} in flight ≈ ${ownCores(d.cpuPerRequestUs, p.cpuPerRequestUs)}, bulk ≈ ${ownCores(d.cpuPerMiBMs, p.cpuPerMiBMs)} of direct (floor ≈ ${ownCores(d.cpuPerRequestUs, f.cpuPerRequestUs)}, ${ownCores(d.cpuPerMiBMs, f.cpuPerMiBMs)}) (the busiest process sets the pace; a projection, not a measurement)`,
    `  CPU per MiB of the body          ${cpuLine((x) => x.cpuPerMiBMs, 1, 'ms')}`,
    `  load average ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} on ${availableParallelism()} cores${Math.max(r.loadBefore, r.loadAfter) > availableParallelism() ? ': other work competed, the proxied and floor figures are pessimistic' : ''}`,
  ].join('\n');
}

/** Throughput ratio if every process had a core to itself: the busiest one sets the pace. */
function ownCores(direct: CpuSplit, path: CpuSplit): string {
  return `${(direct.local / Math.max(path.local, ...path.children)).toFixed(2)}x`;
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
