// The commands a simulated container understands. Anything else fails like
// a missing binary (exit 127). An empty argv is the "image default": print a
// line every tickIntervalMs until killed, so `logs -f` has something to show.

import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { MemFs } from './memfs.js';
import type { CommandIO } from './process.js';
import { parseScript, type SimpleCommand } from './shell.js';
import { createTar, extractTar } from './tar.js';

interface Io {
  argv: string[];
  stdin: Readable;
  out: (chunk: Buffer | string) => void;
  err: (chunk: Buffer | string) => void;
  signal: AbortSignal;
  ctx: CommandIO['ctx'];
  cwd: string;
}

type Command = (io: Io) => Promise<number>;

class ExitError extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('killed'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(new Error('killed'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Streams stdin chunk by chunk until EOF or kill. */
async function forEachChunk(io: Io, fn: (chunk: Buffer) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => fn(chunk);
    const done = (): void => {
      io.stdin.off('data', onData);
      io.signal.removeEventListener('abort', onAbort);
      resolve();
    };
    function onAbort(): void {
      io.stdin.off('data', onData);
      reject(new Error('killed'));
    }
    if (io.stdin.readableEnded) return resolve();
    io.stdin.on('data', onData);
    io.stdin.once('end', done);
    io.stdin.once('close', done);
    io.signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function readAll(io: Io): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await forEachChunk(io, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

function parseDuration(text: string | undefined): number {
  if (!text || text === 'infinity' || text === 'inf') return Number.POSITIVE_INFINITY;
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text);
  if (!m) throw new Error(`sleep: invalid time interval '${text}'`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}

async function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  // Node timers cap at ~24 days; loop for "forever".
  while (ms > 0) {
    const step = Math.min(ms, 2 ** 30);
    await sleep(step, signal);
    ms -= step;
  }
}

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
  async ls(io) {
    const targets = io.argv.slice(1).filter((a) => !a.startsWith('-'));
    let code = 0;
    for (const t of targets.length ? targets : [io.cwd]) {
      const entry = io.ctx.fs.get(MemFs.normalize(t, io.cwd));
      if (!entry) {
        io.err(`ls: cannot access '${t}': No such file or directory\n`);
        code = 2;
      } else if (entry.type === 'file') io.out(`${t}\n`);
      else io.out(io.ctx.fs.children(MemFs.normalize(t, io.cwd)).map((c) => `${c}\n`).join(''));
    }
    return code;
  },
  async mkdir(io) {
    for (const d of io.argv.slice(1).filter((a) => !a.startsWith('-'))) io.ctx.fs.mkdirp(MemFs.normalize(d, io.cwd));
    return 0;
  },
  async rm(io) {
    for (const f of io.argv.slice(1).filter((a) => !a.startsWith('-'))) io.ctx.fs.remove(MemFs.normalize(f, io.cwd));
    return 0;
  },
  async touch(io) {
    for (const f of io.argv.slice(1)) {
      const p = MemFs.normalize(f, io.cwd);
      if (!io.ctx.fs.get(p)) io.ctx.fs.writeFile(p, '');
    }
    return 0;
  },
  async test(io) {
    const args = io.argv[0] === '[' ? io.argv.slice(1, -1) : io.argv.slice(1);
    const [flag, path] = args;
    const entry = path ? io.ctx.fs.get(MemFs.normalize(path, io.cwd)) : undefined;
    if (flag === '-d') return entry?.type === 'dir' ? 0 : 1;
    if (flag === '-f') return entry?.type === 'file' ? 0 : 1;
    if (flag === '-e') return entry ? 0 : 1;
    return 1;
  },
  async tar(io) {
    return runTar(io);
  },
  async sh(io) {
    return runShell(io);
  },
};
COMMANDS['['] = COMMANDS.test!;
COMMANDS.bash = COMMANDS.sh!;
COMMANDS.ash = COMMANDS.sh!;

async function runTar(io: Io): Promise<number> {
  const args = io.argv.slice(1);
  let mode = '';
  let file = '-';
  let dir = io.cwd;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) continue;
    if (a === '-C') {
      dir = MemFs.normalize(args[++i] ?? '/', io.cwd);
      continue;
    }
    const letters = i === 0 && !a.startsWith('-') ? a : a.startsWith('-') ? a.slice(1) : '';
    if (letters) {
      for (const l of letters) {
        if (l === 'c' || l === 'x' || l === 't') mode = l;
        if (l === 'f') file = args[++i] ?? '-';
        if (l === 'z') throw new Error('tar: gzip is not supported by the simulator');
      }
      continue;
    }
    paths.push(a);
  }
  if (file !== '-') throw new Error('tar: only stdin/stdout archives (f -) are supported');
  if (mode === 'c') {
    const { archive, warnings } = createTar(io.ctx.fs, paths, dir);
    for (const w of warnings) io.err(`${w}\n`);
    io.out(archive);
    return 0;
  }
  if (mode === 'x') {
    io.ctx.fs.mkdirp(dir);
    extractTar(io.ctx.fs, await readAll(io), dir);
    return 0;
  }
  throw new Error('tar: You must specify one of the -c, -x options');
}

async function runShell(io: Io): Promise<number> {
  const cIndex = io.argv.indexOf('-c');
  if (cIndex < 0) {
    // `sh` reading a script from stdin.
    const script = (await readAll(io)).toString();
    return runScript({ ...io, stdin: emptyStream() }, script);
  }
  return runScript(io, io.argv[cIndex + 1] ?? '');
}

function emptyStream(): Readable {
  const s = new PassThrough();
  s.end();
  return s;
}

async function runScript(io: Io, script: string): Promise<number> {
  let last = 0;
  try {
    for (const pipeline of parseScript(script, io.ctx.env)) {
      if (pipeline.join === '&&' && last !== 0) continue;
      if (pipeline.join === '||' && last === 0) continue;
      last = await runPipeline(io, pipeline.commands);
    }
  } catch (err) {
    if (err instanceof ExitError) return err.code;
    throw err;
  }
  return last;
}

async function runPipeline(io: Io, commands: SimpleCommand[]): Promise<number> {
  let stdin: Readable = io.stdin;
  const runs: Promise<number>[] = [];
  commands.forEach((cmd, index) => {
    const last = index === commands.length - 1;
    const pipe = last ? undefined : new PassThrough();
    const captured: Buffer[] = [];
    let out: (c: Buffer | string) => void = pipe ? (c) => pipe.write(c) : io.out;
    if (cmd.stdoutFile) out = (c) => captured.push(Buffer.from(c));
    else if (cmd.stdoutToStderr) out = io.err;
    const err = cmd.stderrToStdout ? out : cmd.stderrFile ? (c: Buffer | string) => captured.push(Buffer.from(c)) : io.err;
    let cmdStdin = stdin;
    if (cmd.stdinFile) {
      const s = new PassThrough();
      s.end(io.ctx.fs.readFile(MemFs.normalize(cmd.stdinFile, io.cwd)));
      cmdStdin = s;
    }
    const run = runArgv({ ...io, argv: cmd.argv, stdin: cmdStdin, out, err }).finally(() => {
      const target = cmd.stdoutFile ?? cmd.stderrFile;
      if (target) io.ctx.fs.writeFile(MemFs.normalize(target.path, io.cwd), Buffer.concat(captured), { append: target.append });
      pipe?.end();
    });
    runs.push(run);
    if (pipe) stdin = pipe;
  });
  const codes = await Promise.all(runs);
  return codes[codes.length - 1] ?? 0;
}

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
