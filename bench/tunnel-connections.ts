/**
 * Many agents, one server: connect N agents at once (a server restart makes every agent
 * reconnect together) and report the server's memory per connection and the connect rate,
 * against a baseline of N bare WebSocket connections (same `ws` options, no token check,
 * no HTTP/2): the ratio is what the tunnel adds.
 *
 *   node --import tsx bench/tunnel-connections.ts [--agents 1000]
 *
 * The agents run in a child process so that the memory measured is the server's alone.
 * Loopback only; N is capped at MAX_AGENTS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import http from 'node:http';
import type net from 'node:net';
import { pino } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { startTestServer } from '../src/modules/tunnel/testing.js';
import { runTunnelAgent } from '../src/modules/tunnel/agent.js';

const MAX_AGENTS = 5_000;

export interface ConnectionsBenchResult {
  agents: number;
  connectSeconds: number;
  connectsPerSec: number;
  /** V8 heap + external buffers, per connection. */
  heapPerConnectionKiB: number;
  /** Resident set size, per connection (includes nghttp2's native memory). */
  rssPerConnectionKiB: number;
}

export interface ConnectionsComparison {
  tunnel: ConnectionsBenchResult;
  /** The same number of bare WebSocket connections. */
  bare: ConnectionsBenchResult;
}

/** Bare WebSockets first, then tunnel agents, each with a fresh server and child. */
export async function benchTunnelConnections(options: { agents?: number } = {}): Promise<ConnectionsComparison> {
  const bare = await benchConnections(options.agents, 'bare');
  const tunnel = await benchConnections(options.agents, 'tunnel');
  return { tunnel, bare };
}

interface ConnectionServer {
  url: string;
  connected(): number;
  close(): Promise<void>;
}

async function startTunnelServer(): Promise<ConnectionServer> {
  const server = await startTestServer({
    authenticate: async (token) => {
      const id = Number(/^bench-agent-(\d+)$/.exec(token)?.[1] ?? NaN);
      return Number.isInteger(id) ? { agentId: id, tokenId: id } : null;
    },
  });
  let connected = 0;
  server.tunnel.on('connect', () => connected++);
  return { url: server.url, connected: () => connected, close: () => server.close() };
}

/** An HTTP server that accepts every WebSocket upgrade and keeps the connection. */
async function startBareServer(): Promise<ConnectionServer> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, skipUTF8Validation: true });
  const server = http.createServer();
  let connected = 0;
  server.on('upgrade', function acceptBare(req, socket, head) {
    wss.handleUpgrade(req, socket, head, (ws) => {
      connected++;
      ws.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    connected: () => connected,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function benchConnections(requested: number | undefined, kind: 'bare' | 'tunnel'): Promise<ConnectionsBenchResult> {
  const agents = Math.min(requested ?? 1_000, MAX_AGENTS);
  const gc = exposeGc();
  const server = kind === 'tunnel' ? await startTunnelServer() : await startBareServer();
  let child: ChildProcess | undefined;
  try {
    gc();
    const before = memory();
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), `--child-${kind}`, server.url, String(agents)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The clock starts when the child starts dialing, not when node starts loading.
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.once('data', () => resolve());
      child!.once('exit', (code) => reject(new Error(`the agents' process exited with ${code}`)));
    });
    const started = process.hrtime.bigint();
    const limit = Date.now() + 120_000;
    while (server.connected() < agents) {
      if (Date.now() > limit) throw new Error(`only ${server.connected()} of ${agents} ${kind} connections in 120 s`);
      if (child.exitCode !== null) throw new Error(`the agents' process exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const connectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Let the handshakes' garbage go before measuring what the connections keep.
    await new Promise((r) => setTimeout(r, 500));
    gc();
    const after = memory();
    return {
      agents,
      connectSeconds,
      connectsPerSec: agents / connectSeconds,
      heapPerConnectionKiB: (after.heap - before.heap) / agents / 1024,
      rssPerConnectionKiB: (after.rss - before.rss) / agents / 1024,
    };
  } finally {
    child?.kill('SIGTERM');
    await server.close();
  }
}

function memory(): { heap: number; rss: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return gc ?? (() => {});
}

export function formatConnectionsBench({ tunnel: t, bare: b }: ConnectionsComparison): string {
  // RSS moves by whole pages and the allocator returns memory late: a small per-connection
  // figure can come out negative; the ratio then means nothing.
  const x = (value: number, base: number): string => (value > 0 && base > 0 ? `${(value / base).toFixed(2)}x` : 'n/a');
  return [
    `tunnel connections: ${t.agents} agents connecting at once (agents in a child process), baseline: as many bare WebSocket connections`,
    `  connect               bare ${b.connectsPerSec.toFixed(0).padStart(5)} connections/s   tunnel ${t.connectsPerSec.toFixed(0).padStart(5)} connections/s = ${x(t.connectsPerSec, b.connectsPerSec)} (WebSocket + token check + HTTP/2 setup)`,
    `  server heap+external  bare ${b.heapPerConnectionKiB.toFixed(1).padStart(5)} KiB/connection  tunnel ${t.heapPerConnectionKiB.toFixed(1).padStart(5)} KiB/connection = ${x(t.heapPerConnectionKiB, b.heapPerConnectionKiB)}`,
    `  server RSS            bare ${b.rssPerConnectionKiB.toFixed(1).padStart(5)} KiB/connection  tunnel ${t.rssPerConnectionKiB.toFixed(1).padStart(5)} KiB/connection = ${x(t.rssPerConnectionKiB, b.rssPerConnectionKiB)} (includes nghttp2's native memory)`,
  ].join('\n');
}

/** The child: N agents with tokens `bench-agent-<i>`, until the parent kills it. */
async function runAgents(url: string, count: number): Promise<void> {
  const controller = new AbortController();
  // Every agent listens on the one signal; that is not a leak.
  setMaxListeners(count * 4, controller.signal);
  process.on('SIGTERM', () => controller.abort());
  process.stdout.write('dialing\n');
  const logger = pino({ level: 'silent' });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runTunnelAgent(
        {
          kasAddress: url,
          token: `bench-agent-${i + 1}`,
          handler: (_req, res) => res.end(),
          info: { version: 'bench', commit: '', podName: `pod-${i + 1}`, podNamespace: 'bench', kubernetesVersion: '' },
          logger,
          proxy: null,
          shutdownGraceMs: 0,
        },
        controller.signal,
      ),
    ),
  );
  process.exit(0);
}

/** The baseline child: N bare WebSocket connections, held until the parent kills it. */
function runBareClients(url: string, count: number): void {
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('dialing\n');
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    ws.on('error', (err) => {
      console.error(`bare connection ${i + 1}: ${err.message}`);
      process.exit(1);
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child-tunnel') {
    await runAgents(args[1]!, Number(args[2]));
  } else if (args[0] === '--child-bare') {
    runBareClients(args[1]!, Number(args[2]));
  } else {
    const i = args.indexOf('--agents');
    const result = await benchTunnelConnections(i >= 0 ? { agents: Number(args[i + 1]) } : {});
    console.log(formatConnectionsBench(result));
  }
}
