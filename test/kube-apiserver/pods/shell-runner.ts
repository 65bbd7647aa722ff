// Runs a parsed `sh -c` script: pipelines joined by ; && ||, pipes between
// commands, file redirections. Commands themselves come from `runArgv`,
// passed in to keep this file free of the command table.

import { PassThrough, type Readable } from 'node:stream';
import { emptyStream, ExitError, readAll, type Io } from './command-io.js';
import { MemFs } from './memfs.js';
import { parseScript, type SimpleCommand } from './shell.js';

type RunArgv = (io: Io) => Promise<number>;

export async function runShell(io: Io, runArgv: RunArgv): Promise<number> {
  const cIndex = io.argv.indexOf('-c');
  if (cIndex < 0) {
    // `sh` reading a script from stdin.
    const script = (await readAll(io)).toString();
    return runScript({ ...io, stdin: emptyStream() }, script, runArgv);
  }
  return runScript(io, io.argv[cIndex + 1] ?? '', runArgv);
}

async function runScript(io: Io, script: string, runArgv: RunArgv): Promise<number> {
  let last = 0;
  try {
    for (const pipeline of parseScript(script, io.ctx.env)) {
      if (pipeline.join === '&&' && last !== 0) continue;
      if (pipeline.join === '||' && last === 0) continue;
      last = await runPipeline(io, pipeline.commands, runArgv);
    }
  } catch (err) {
    if (err instanceof ExitError) return err.code;
    throw err;
  }
  return last;
}

async function runPipeline(io: Io, commands: SimpleCommand[], runArgv: RunArgv): Promise<number> {
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
