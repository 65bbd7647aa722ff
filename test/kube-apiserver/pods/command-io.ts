// What every simulated command gets (argv, stdin, output callbacks, kill
// signal, the container's filesystem) and the small helpers they share.

import { PassThrough, type Readable } from 'node:stream';
import type { CommandIO } from './process.js';

export interface Io {
  argv: string[];
  stdin: Readable;
  out: (chunk: Buffer | string) => void;
  err: (chunk: Buffer | string) => void;
  signal: AbortSignal;
  ctx: CommandIO['ctx'];
  cwd: string;
}

export type Command = (io: Io) => Promise<number>;

export class ExitError extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
export async function forEachChunk(io: Io, fn: (chunk: Buffer) => void): Promise<void> {
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

export async function readAll(io: Io): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await forEachChunk(io, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

export function parseDuration(text: string | undefined): number {
  if (!text || text === 'infinity' || text === 'inf') return Number.POSITIVE_INFINITY;
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text);
  if (!m) throw new Error(`sleep: invalid time interval '${text}'`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}

export async function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  // Node timers cap at ~24 days; loop for "forever".
  while (ms > 0) {
    const step = Math.min(ms, 2 ** 30);
    await sleep(step, signal);
    ms -= step;
  }
}

export function emptyStream(): Readable {
  const s = new PassThrough();
  s.end();
  return s;
}
