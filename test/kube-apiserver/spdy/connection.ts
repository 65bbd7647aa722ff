// A server-side SPDY/3.1 session over any duplex byte stream (a TLS socket
// after `Upgrade: SPDY/3.1`, or a WebSocket stream for the port-forward
// tunnel). The client opens streams (SYN_STREAM); we reply at once (the
// client blocks until we do), echo PINGs, and expose each stream as a
// Node Duplex with half-close: end() sends FIN, a remote FIN ends reading.
// Flow control is not enforced: spdystream (client-go) does not do it either.

import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { ControlType, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, FLAG_FIN, parseFrames, uint32, type Frame } from './frames.js';
import { ZlibContext } from './zlib-context.js';

const MAX_DATA_FRAME = 32 * 1024;

export class SpdyStream extends Duplex {
  remoteEnded = false;

  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly conn: SpdyConnection,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.conn.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.conn.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
  }

  /** Called by the connection for incoming DATA and FIN. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteEnded) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteEnded = true;
      this.push(null);
    }
  }

  /** Abort the stream (RST_STREAM CANCEL). */
  reset(): void {
    this.conn.sendReset(this.id);
    this.receive(Buffer.alloc(0), true);
    this.destroy();
  }
}

export interface SpdyConnectionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdyConnection extends EventEmitter<SpdyConnectionEvents> {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly inflate = new ZlibContext('inflate');
  private readonly deflate = new ZlibContext('deflate');
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  closed = false;
  private closeEmitted = false;

  constructor(private readonly transport: Duplex) {
    super();
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('end', () => this.teardown());
    transport.on('close', () => this.teardown());
    transport.on('error', () => this.teardown());
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const { frames, rest } = parseFrames(this.buffer);
    this.buffer = Buffer.from(rest);
    for (const frame of frames) {
      // Header blocks decompress asynchronously; frames are handled strictly in order.
      this.incoming = this.incoming.then(() => this.handle(frame)).catch((err: unknown) => {
        console.error('kube-apiserver simulator: SPDY frame error', err);
        this.close();
      });
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    if (!frame.control) {
      this.streams.get(frame.streamId)?.receive(frame.data, (frame.flags & FLAG_FIN) !== 0);
      return;
    }
    const p = frame.payload;
    switch (frame.type) {
      case ControlType.SynStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.process(p.subarray(10)));
        this.lastStreamId = Math.max(this.lastStreamId, id);
        const stream = new SpdyStream(id, headers, this);
        this.streams.set(id, stream);
        stream.once('close', () => this.streams.delete(id));
        // spdystream's CreateStream waits for this reply before it returns to the caller.
        await this.sendReply(id);
        if (frame.flags & FLAG_FIN) stream.receive(Buffer.alloc(0), true);
        this.emit('stream', stream);
        return;
      }
      case ControlType.SynReply:
      case ControlType.Headers:
        // Keep the shared zlib context in step even though we ignore these headers.
        await this.inflate.process(p.subarray(4));
        return;
      case ControlType.RstStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const stream = this.streams.get(id);
        if (stream) {
          stream.receive(Buffer.alloc(0), true);
          stream.destroy();
        }
        return;
      }
      case ControlType.Ping:
        this.write(controlFrame(ControlType.Ping, 0, p));
        return;
      case ControlType.GoAway:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: nothing to do without flow control.
        return;
    }
  }

  private write(frame: Buffer): Promise<void> {
    const run = this.outgoing.then(() => {
      if (this.closed || this.transport.destroyed) return;
      if (!this.transport.write(frame)) {
        return new Promise<void>((resolve) => {
          const done = (): void => {
            this.transport.off('drain', done);
            this.transport.off('close', done);
            resolve();
          };
          this.transport.once('drain', done);
          this.transport.once('close', done);
        });
      }
    });
    this.outgoing = run.catch(() => undefined);
    return run;
  }

  private async sendReply(id: number): Promise<void> {
    const block = await this.deflate.process(encodeHeaderBlock({}));
    await this.write(controlFrame(ControlType.SynReply, 0, Buffer.concat([uint32(id), block])));
  }

  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    let last: Promise<void> = Promise.resolve();
    if (data.length === 0) return this.write(dataFrame(id, fin ? FLAG_FIN : 0, data));
    for (let offset = 0; offset < data.length; offset += MAX_DATA_FRAME) {
      const slice = data.subarray(offset, offset + MAX_DATA_FRAME);
      const isLast = offset + MAX_DATA_FRAME >= data.length;
      last = this.write(dataFrame(id, fin && isLast ? FLAG_FIN : 0, slice));
    }
    return last;
  }

  sendReset(id: number): void {
    void this.write(controlFrame(ControlType.RstStream, 0, Buffer.concat([uint32(id), uint32(5)])));
  }

  /** GOAWAY after everything queued, then close the transport. */
  close(): void {
    if (this.closed) return;
    const goAway = controlFrame(ControlType.GoAway, 0, Buffer.concat([uint32(this.lastStreamId), uint32(0)]));
    void this.write(goAway).then(() => {
      this.closed = true;
      this.transport.end();
      setTimeout(() => this.transport.destroy(), 1000).unref();
      this.teardown();
    });
  }

  private teardown(): void {
    this.closed = true;
    for (const s of this.streams.values()) {
      s.receive(Buffer.alloc(0), true);
      s.destroy();
    }
    this.streams.clear();
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }
}
