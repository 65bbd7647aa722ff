// SPDY/3 compresses every header block of one direction with a single zlib
// stream (shared history, Z_SYNC_FLUSH after each block). Node's zlib
// streams keep that context; this wraps one as "bytes in → bytes out" calls,
// serialised so blocks never interleave.

import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY_DICTIONARY } from './dictionary.js';

export class ZlibContext {
  private readonly stream: Deflate | Inflate;
  private chunks: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;

  constructor(kind: 'deflate' | 'inflate') {
    this.stream = kind === 'deflate' ? createDeflate({ dictionary: SPDY_DICTIONARY }) : createInflate({ dictionary: SPDY_DICTIONARY });
    this.stream.on('data', (c: Buffer) => this.chunks.push(c));
    this.stream.on('error', (err: Error) => {
      this.failed = err;
    });
  }

  process(input: Buffer): Promise<Buffer> {
    const run = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.stream.write(input);
          this.stream.flush(constants.Z_SYNC_FLUSH, () => {
            // 'data' events for the flushed bytes precede this callback.
            setImmediate(() => {
              if (this.failed) return reject(this.failed);
              const out = Buffer.concat(this.chunks);
              this.chunks = [];
              resolve(out);
            });
          });
        }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.stream.destroy();
  }
}
