// Top self-time functions of .cpuprofile files (from `bench/proxy.ts --profile-dir DIR`):
//
//   node bench/profile-summary.mjs DIR/*.cpuprofile [--top 30]
//
// Self time is wall-clock sampled: on a loaded machine a process descheduled inside a
// syscall (writev, write) is charged for the wait, so compare JavaScript functions with
// each other and use the benchmark's per-process CPU figures for totals.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
const files = args.filter((a, i) => a.endsWith('.cpuprofile') && i !== topAt + 1);

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`== ${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
}
