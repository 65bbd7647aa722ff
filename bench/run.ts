/**
 * Every benchmark, one after the other, each figure printed against its baseline:
 *
 *   npm run bench [-- --quick]
 *
 * - tunnel: bulk MiB/s, req/s and latency of the tunnel vs raw TCP and HTTP/2 over TCP;
 * - tunnel connections: 1,000 agents connecting at once vs bare WebSocket connections;
 * - k8s proxy: the full CI path (server + tunnel + agent processes) vs the Kubernetes API
 *   called directly, with the targets;
 * - long streams: 500 watches through one agent's way to the Kubernetes API, over HTTP/2 vs
 *   a connection each, and short requests meanwhile.
 *
 * Loopback only. A few minutes in all (about one with `--quick`); a watchdog stops the run
 * if the machine is so loaded that it would take much longer.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { benchTunnel, formatTunnelBench } from './tunnel.js';
import { benchTunnelConnections, formatConnectionsBench } from './tunnel-connections.js';
import { benchProxy, formatProxyBench } from './proxy.js';
import { benchKubeStreams, formatKubeStreamsBench } from './kube-streams.js';

const WATCHDOG_MS = 15 * 60_000;

const quick = process.argv.includes('--quick');
const watchdog = setTimeout(() => {
  console.error(`bench: gave up after ${WATCHDOG_MS / 60_000} minutes (is the machine overloaded? load average ${loadavg()[0]!.toFixed(1)})`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

const started = Date.now();
console.log(`kubegate benchmarks: node ${process.version}, ${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()[0]!.toFixed(1)}${quick ? ' (quick)' : ''}\n`);

console.log(formatTunnelBench(await benchTunnel(quick ? { sizeMiB: 20, repeats: 1, requests: 2_000, latencySamples: 200, extraTargets: false } : { repeats: 3, requests: 10_000, extraTargets: false })));
console.log();
console.log(formatConnectionsBench(await benchTunnelConnections({ agents: quick ? 200 : 1_000 })));
console.log();
console.log(formatProxyBench(await benchProxy(quick ? { repeats: 1, sizeMiB: 20, requests: 2_000, latencySamples: 300 } : { repeats: 5 })));
console.log();
console.log(formatKubeStreamsBench(await benchKubeStreams(quick ? { watches: 200, shorts: 50 } : {})));
console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s`);
