/**
 * What waking another process costs on this machine: a 1-byte TCP echo between this
 * process and a child, one byte in flight at a time, with the child idle between bytes
 * (it sleeps in epoll and must be woken, as a proxy process is between requests) and
 * with the child busy (its event loop spins, so it is on a core when the byte arrives).
 *
 *   node --import tsx bench/ping-pong.ts [--samples 20000]
 *
 * With `taskset` (util-linux) it also pins the two processes: both on one core (a wake-up
 * is a context switch), or on two cores (a wake-up of an idle core). The difference
 * between an idle and a busy child is the price of the wake-up; the floor and proxied
 * paths of `bench/proxy.ts` (unpinned) pay it at the process boundaries of a request
 * that arrives at an idle process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { median } from './tunnel.js';

if (process.argv.includes('--echo')) {
  // The child: echo every byte; with --busy, keep the event loop spinning.
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
  if (process.argv.includes('--busy')) {
    const spin = (): void => void setImmediate(spin);
    spin();
  }
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--samples');
  const samples = i >= 0 ? Number(process.argv[i + 1]) : 20_000;
  const line = (what: string, us: number): void => console.log(`  ${what.padEnd(58)} ${us.toFixed(0).padStart(4)} µs`);
  console.log(`1-byte TCP ping-pong between this process and a child, median round trip of ${samples}:`);
  line('unpinned, child idle between bytes (as the bench runs)', await roundTripUs({ busy: false }, samples));
  line('unpinned, child busy (its event loop spins)', await roundTripUs({ busy: true }, samples));
  if (canPin()) {
    line('both on core 0, child idle', await roundTripUs({ busy: false, parentCpu: 0, childCpu: 0 }, samples));
    line('this process on core 0, child on core 1, child idle', await roundTripUs({ busy: false, parentCpu: 0, childCpu: 1 }, samples));
    line('this process on core 0, child on core 1, child busy', await roundTripUs({ busy: true, parentCpu: 0, childCpu: 1 }, samples));
    pin(process.pid, undefined);
  }
}

/** Pinning needs `taskset` (util-linux) and two cores. */
function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
}

/** Pins a process (all its threads) to one core, or back to all cores. */
function pin(pid: number, cpu: number | undefined): void {
  const cpus = cpu === undefined ? `0-${availableParallelism() - 1}` : String(cpu);
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

async function roundTripUs(how: { busy: boolean; parentCpu?: number; childCpu?: number }, samples: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--echo', ...(how.busy ? ['--busy'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [port] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    if (how.childCpu !== undefined) pin(child.pid!, how.childCpu);
    pin(process.pid, how.parentCpu);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const byte = Buffer.from('x');
    const one = async (): Promise<number> => {
      const started = process.hrtime.bigint();
      socket.write(byte);
      await once(socket, 'data');
      return Number(process.hrtime.bigint() - started) / 1e3;
    };
    for (let n = 0; n < 1_000; n++) await one();
    const us: number[] = [];
    for (let n = 0; n < samples; n++) us.push(await one());
    socket.destroy();
    return median(us);
  } finally {
    child.kill('SIGTERM');
  }
}
