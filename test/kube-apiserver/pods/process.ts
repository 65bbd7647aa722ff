// A simulated container process: argv interpreted by commands.ts, with
// stdin/stdout/stderr as Node streams and an exit-code promise. Exec, attach
// and the pod's main container all use this one shape.

import { PassThrough } from 'node:stream';
import { runCommand } from './commands.js';
import type { MemFs } from './memfs.js';

export interface ProcessContext {
  fs: MemFs;
  env: Record<string, string>;
  /** Interval of the default "print a line periodically" program. */
  tickIntervalMs: number;
  /** Name printed by the default program. */
  label: string;
}

export interface CommandIO {
  argv: string[];
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  signal: AbortSignal;
  ctx: ProcessContext;
  cwd: string;
}

export class SimProcess {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<number>;
  exitCode: number | undefined;
  private readonly abort = new AbortController();

  constructor(readonly argv: string[], ctx: ProcessContext) {
    const io: CommandIO = { argv, stdin: this.stdin, stdout: this.stdout, stderr: this.stderr, signal: this.abort.signal, ctx, cwd: '/' };
    this.exited = runCommand(io)
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) io.stderr.write(`${(err as Error).message}\n`);
        return this.abort.signal.aborted ? 137 : 1;
      })
      .then((code) => {
        this.exitCode = code;
        this.stdout.end();
        this.stderr.end();
        return code;
      });
  }

  /** SIGKILL: the command's signal aborts, the exit code becomes 137. */
  kill(): void {
    this.abort.abort();
    this.stdin.end();
  }
}
