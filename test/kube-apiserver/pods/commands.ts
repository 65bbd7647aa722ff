// The commands a simulated container understands. Anything else fails like
// a missing binary (exit 127). An empty argv is the "image default": print a
// line every tickIntervalMs until killed, so `logs -f` has something to show.

import { posix } from 'node:path';
import { ExitError, forEachChunk, parseDuration, readAll, sleep, sleepFor, type Command, type Io } from './command-io.js';
import { FS_COMMANDS } from './commands-fs.js';
import { MemFs } from './memfs.js';
import type { CommandIO } from './process.js';
import { runShell } from './shell-runner.js';

const COMMANDS: Record<string, Command> = {
  async echo(io) {
    let args = io.argv.slice(1);
    let newline = true;
    while (args[0] === '-n' || args[0] === '-e' || args[0] === '-ne' || args[0] === '-en') {
      if (args[0].includes('n')) newline = false;
      args = args.slice(1);
    }
    io.out(args.join(' ') + (newline ? '\n' : ''));
    return 0;
  },
  async printf(io) {
    const [format = '', ...args] = io.argv.slice(1);
    let i = 0;
    const text = format.replace(/%[sd]/g, () => args[i++] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    io.out(text);
    return 0;
  },
  async cat(io) {
    const files = io.argv.slice(1).filter((a) => a !== '-u');
    if (files.length === 0 || files.includes('-')) {
      await forEachChunk(io, (chunk) => io.out(chunk));
      return 0;
    }
    let code = 0;
    for (const f of files) {
      try {
        io.out(io.ctx.fs.readFile(MemFs.normalize(f, io.cwd)));
      } catch (err) {
        io.err(`cat: ${(err as Error).message}\n`);
        code = 1;
      }
    }
    return code;
  },
  async sleep(io) {
    await sleepFor(parseDuration(io.argv[1]), io.signal);
    return 0;
  },
  async tail(io) {
    // `tail -f /dev/null` is the classic "keep the container alive".
    if (io.argv.includes('-f') && io.argv.includes('/dev/null')) {
      await sleepFor(Number.POSITIVE_INFINITY, io.signal);
      return 0;
    }
    const n = Number(io.argv[io.argv.indexOf('-n') + 1] ?? 10) || 10;
    const file = io.argv.slice(1).filter((a) => !a.startsWith('-') && a !== String(n)).pop();
    const data = file ? io.ctx.fs.readFile(MemFs.normalize(file, io.cwd)).toString() : (await readAll(io)).toString();
    const lines = data.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    io.out(lines.slice(-n).map((l) => `${l}\n`).join(''));
    return 0;
  },
  async head(io) {
    const n = Number(io.argv[io.argv.indexOf('-n') + 1] ?? 10) || 10;
    const data = (await readAll(io)).toString().split('\n').slice(0, n);
    io.out(data.join('\n') + '\n');
    return 0;
  },
  async true() {
    return 0;
  },
  async false() {
    return 1;
  },
  async exit(io) {
    throw new ExitError(Number(io.argv[1] ?? 0));
  },
  async env(io) {
    io.out(Object.entries(io.ctx.env).map(([k, v]) => `${k}=${v}\n`).join(''));
    return 0;
  },
  async hostname(io) {
    io.out(`${io.ctx.env.HOSTNAME ?? 'localhost'}\n`);
    return 0;
  },
  async pwd(io) {
    io.out(`${io.cwd}\n`);
    return 0;
  },
  async whoami(io) {
    io.out('root\n');
    return 0;
  },
  async id(io) {
    io.out('uid=0(root) gid=0(root) groups=0(root)\n');
    return 0;
  },
  async date(io) {
    io.out(`${new Date().toUTCString()}\n`);
    return 0;
  },
  async seq(io) {
    const n = Number(io.argv[1] ?? 0);
    for (let i = 1; i <= n; i++) io.out(`${i}\n`);
    return 0;
  },
  async sh(io) {
    return runShell(io, runArgv);
  },
  ...FS_COMMANDS,
};
COMMANDS.bash = COMMANDS.sh!;
COMMANDS.ash = COMMANDS.sh!;

async function runArgv(io: Io): Promise<number> {
  const name = posix.basename(io.argv[0] ?? '');
  const command = COMMANDS[name];
  if (!command) {
    io.err(`sh: ${io.argv[0]}: not found\n`);
    return 127;
  }
  return command(io);
}

async function ticker(io: Io): Promise<number> {
  let n = 0;
  for (;;) {
    n++;
    io.out(`${io.ctx.label}: log line ${n}\n`);
    await sleep(io.ctx.tickIntervalMs, io.signal);
  }
}

/** Whether argv[0] names a command the simulator implements. */
export function isKnownCommand(argv0: string): boolean {
  return COMMANDS[posix.basename(argv0)] !== undefined;
}

export async function runCommand(process: CommandIO): Promise<number> {
  const io: Io = {
    argv: process.argv,
    stdin: process.stdin,
    out: (c) => process.stdout.write(c),
    err: (c) => process.stderr.write(c),
    signal: process.signal,
    ctx: process.ctx,
    cwd: process.cwd,
  };
  if (process.argv.length === 0) return ticker(io);
  const name = posix.basename(process.argv[0]!);
  if (!COMMANDS[name]) {
    // What a container runtime says when exec names a binary that is not there.
    io.err(`exec: "${process.argv[0]}": executable file not found in $PATH\n`);
    return 127;
  }
  try {
    return await runArgv(io);
  } catch (err) {
    if (err instanceof ExitError) return err.code;
    throw err;
  }
}
