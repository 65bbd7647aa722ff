/**
 * Many agents, one server: connect N agents at once (a server restart makes every agent
 * reconnect together) and report the server's memory per connection and the connect rate.
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
import { pino } from 'pino';
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

export async function benchTunnelConnections(options: { agents?: number } = {}): Promise<ConnectionsBenchResult> {
  const agents = Math.min(options.agents ?? 1_000, MAX_AGENTS);
  const gc = exposeGc();
  const server = await startTestServer({
    authenticate: async (token) => {
      const id = Number(/^bench-agent-(\d+)$/.exec(token)?.[1] ?? NaN);
      return Number.isInteger(id) ? { agentId: id, tokenId: id } : null;
    },
  });
  let connected = 0;
  server.tunnel.on('connect', () => connected++);
  let child: ChildProcess | undefined;
  try {
    gc();
    const before = memory();
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', server.url, String(agents)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The clock starts when the child starts dialing, not when node starts loading.
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.once('data', () => resolve());
      child!.once('exit', (code) => reject(new Error(`the agents' process exited with ${code}`)));
    });
    const started = process.hrtime.bigint();
    const limit = Date.now() + 120_000;
    while (connected < agents) {
      if (Date.now() > limit) throw new Error(`only ${connected} of ${agents} agents connected in 120 s`);
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

export function formatConnectionsBench(r: ConnectionsBenchResult): string {
  return [
    `tunnel connections: ${r.agents} agents connecting at once (agents in a child process)`,
    `  connect: ${r.connectSeconds.toFixed(2)} s, ${r.connectsPerSec.toFixed(0)} connections/s (WebSocket + token check + HTTP/2 setup, both ends on this machine)`,
    `  server memory per connection: ${r.heapPerConnectionKiB.toFixed(1)} KiB heap+external, ${r.rssPerConnectionKiB.toFixed(1)} KiB RSS`,
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await runAgents(args[1]!, Number(args[2]));
  } else {
    const i = args.indexOf('--agents');
    const result = await benchTunnelConnections(i >= 0 ? { agents: Number(args[i + 1]) } : {});
    console.log(formatConnectionsBench(result));
  }
}
