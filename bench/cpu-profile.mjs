// Preloaded into the benchmark's child processes when profiling (NODE_OPTIONS=--import;
// NODE_OPTIONS may not carry --cpu-prof). SIGUSR2 starts the profiler, the next SIGUSR2
// stops it and writes <BENCH_CPU_PROFILE_DIR>/<name>-<pid>-<n>.cpuprofile, so that only
// the measured phase is profiled (not start-up, not TypeScript loading), plus
// <name>-<pid>-<n>.writes.json: socket writes by peer port (each is a syscall and a TLS
// record). Read the profiles with `node bench/profile-summary.mjs DIR/*.cpuprofile`.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const name = process.argv.includes('agent') ? 'agent' : process.argv.includes('server') ? 'server' : 'node';
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 100 });
  let running = false;
  let n = 0;
  // Socket writes by kind while profiling: each is a syscall (and a TLS record) or more.
  const writes = new Map();
  const generic = net.Socket.prototype._writeGeneric;
  net.Socket.prototype._writeGeneric = function countedWrite(writev, data, encoding, cb) {
    if (running) {
      const key = `${this.encrypted ? 'tls' : 'tcp'}:${this.remotePort ?? this.localPort}:${writev ? 'writev' : 'write'}`;
      writes.set(key, (writes.get(key) ?? 0) + 1);
    }
    return generic.call(this, writev, data, encoding, cb);
  };
  process.on('SIGUSR2', function toggleProfiler() {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}-${process.pid}-${++n}.cpuprofile`), JSON.stringify(result.profile));
      writeFileSync(join(dir, `${name}-${process.pid}-${n}.writes.json`), JSON.stringify(Object.fromEntries(writes)));
      writes.clear();
    });
  });
}
