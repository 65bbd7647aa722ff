/**
 * Tunnel throughput and latency against its baselines, in one process on loopback:
 *
 *   node --import tsx bench/tunnel.ts [--size-mib 100] [--repeats 3] [--quick]
 *
 * Figures: MiB/s for one bulk body (agent → server, the direction of logs and lists),
 * requests/s with 64 requests in flight, p50/p99 latency of one small request at a time.
 * Each is printed with its ratio to the baseline: raw TCP for bulk, HTTP/2 over raw TCP
 * (same settings as the tunnel) for everything. Runs interleave the targets and the
 * medians are reported, because the machine is shared and noisy.
 */
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { rawTcpDownload, startHttp2Tcp, startPrototype, startTunnel, type HttpTarget } from './tunnel-setups.js';

export interface TunnelBenchOptions {
  sizeMiB?: number;
  repeats?: number;
  concurrency?: number;
  /** Requests per req/s run. */
  requests?: number;
  /** Sequential requests per latency run. */
  latencySamples?: number;
  /** Also measure the masked-frames tunnel and the first prototype. */
  extraTargets?: boolean;
}

export interface TargetFigures {
  name: string;
  mibPerSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TunnelBenchResult {
  options: Required<TunnelBenchOptions>;
  rawTcpMibPerSec: number;
  /** HTTP/2 over TCP first (the baseline), then the tunnel (HTTP/2 on the socket, then WebSocket frames), then the extras. */
  targets: TargetFigures[];
}

const DEFAULTS: Required<TunnelBenchOptions> = {
  sizeMiB: 100,
  repeats: 3,
  concurrency: 64,
  requests: 20_000,
  latencySamples: 2_000,
  extraTargets: true,
};

export async function benchTunnel(options: TunnelBenchOptions = {}): Promise<TunnelBenchResult> {
  const o = { ...DEFAULTS, ...options };
  const size = o.sizeMiB * 1024 * 1024;
  const targets: HttpTarget[] = [await startHttp2Tcp(), await startTunnel('h2'), await startTunnel('websocket')];
  if (o.extraTargets) targets.push(await startTunnel('masked'), await startPrototype());
  try {
    for (const target of targets) await warmUp(target);
    const raw: number[] = [];
    const runs = targets.map(() => ({ mib: [] as number[], rps: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let r = 0; r < o.repeats; r++) {
      raw.push(o.sizeMiB / (await rawTcpDownload(size)));
      for (const [i, target] of targets.entries()) {
        const run = runs[i]!;
        run.mib.push(o.sizeMiB / (await timeDownload(target, size)));
        run.rps.push(await requestsPerSecond(target, o.concurrency, o.requests));
        const latency = await latencies(target, o.latencySamples);
        run.p50.push(latency.p50);
        run.p99.push(latency.p99);
      }
    }
    return {
      options: o,
      rawTcpMibPerSec: median(raw),
      targets: targets.map((t, i) => ({
        name: t.name,
        mibPerSec: median(runs[i]!.mib),
        requestsPerSec: median(runs[i]!.rps),
        p50Ms: median(runs[i]!.p50),
        p99Ms: median(runs[i]!.p99),
      })),
    };
  } finally {
    for (const target of targets) await target.close();
  }
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return bytes;
}

async function warmUp(target: HttpTarget): Promise<void> {
  await drain(await target.get(`/bulk?bytes=${16 * 1024 * 1024}`));
  await Promise.all(Array.from({ length: 500 }, async () => drain(await target.get('/small'))));
}

async function timeDownload(target: HttpTarget, size: number): Promise<number> {
  const started = process.hrtime.bigint();
  const bytes = await drain(await target.get(`/bulk?bytes=${size}`));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (bytes !== size) throw new Error(`${target.name}: received ${bytes} of ${size} bytes`);
  return seconds;
}

async function requestsPerSecond(target: HttpTarget, concurrency: number, total: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async function worker() {
      while (next++ < total) await drain(await target.get('/small'));
    }),
  );
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function latencies(target: HttpTarget, samples: number): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await drain(await target.get('/small'));
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The result as text lines; ratios > 1 are better for throughput, < 1 for latency. */
export function formatTunnelBench(result: TunnelBenchResult): string {
  const [base, ...rest] = result.targets;
  if (!base) return '';
  const o = result.options;
  const lines = [
    `tunnel benchmark: ${o.sizeMiB} MiB body, ${o.concurrency} concurrent x ${o.requests} requests, ${o.latencySamples} latency samples; medians of ${o.repeats} runs`,
    `  ${'raw TCP'.padEnd(36)}  ${fmt(result.rawTcpMibPerSec)} MiB/s   (baseline for MiB/s)`,
    `  ${base.name.padEnd(36)}  ${fmt(base.mibPerSec)} MiB/s = ${ratio(base.mibPerSec, result.rawTcpMibPerSec)} raw TCP; ` +
      `${fmt(base.requestsPerSec)} req/s; p50 ${base.p50Ms.toFixed(3)} ms, p99 ${base.p99Ms.toFixed(3)} ms   (baseline for the rest)`,
  ];
  for (const t of rest) {
    lines.push(
      `  ${t.name.padEnd(36)}  ${fmt(t.mibPerSec)} MiB/s = ${ratio(t.mibPerSec, result.rawTcpMibPerSec)} raw TCP, ${ratio(t.mibPerSec, base.mibPerSec)} HTTP/2-TCP; ` +
        `${fmt(t.requestsPerSec)} req/s = ${ratio(t.requestsPerSec, base.requestsPerSec)}; ` +
        `p50 ${t.p50Ms.toFixed(3)} ms = ${ratio(t.p50Ms, base.p50Ms)}, p99 ${t.p99Ms.toFixed(3)} ms = ${ratio(t.p99Ms, base.p99Ms)}`,
    );
  }
  return lines.join('\n');
}

function fmt(n: number): string {
  return n.toFixed(0).padStart(6);
}

function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}

function parseArgs(argv: string[]): TunnelBenchOptions {
  const options: TunnelBenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--size-mib') options.sizeMiB = Number(argv[++i]);
    else if (arg === '--repeats') options.repeats = Number(argv[++i]);
    else if (arg === '--quick') Object.assign(options, { sizeMiB: 20, repeats: 1, requests: 2_000, latencySamples: 200 });
    else if (arg === '--no-extras') options.extraTargets = false;
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchTunnel(parseArgs(process.argv.slice(2)));
  console.log(formatTunnelBench(result));
}
