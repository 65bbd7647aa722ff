import { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { WS_HIGH_WATER_MARK_BYTES, WS_MAX_MESSAGE_BYTES } from './defaults.js';

/** Chunks below this size are merged before sending; larger ones go out as they are. */
const MERGE_BELOW_BYTES = 16 * 1024;

/**
 * A byte stream over an open WebSocket, fast enough to carry HTTP/2 (both tunnel sides
 * use it).
 *
 * Why not `ws.createWebSocketStream`: it sends every `write()` as its own message and
 * waits for nothing, so HTTP/2's many small writes (9-byte frame headers, then payloads)
 * become many tiny WebSocket frames and syscalls. Here:
 * - writes made while a send is in flight pile up in the Writable buffer and leave
 *   together through `_writev` (Nagle in user space, but with no timer: one send is in
 *   flight at most, so the next batch leaves the moment the socket takes the last one);
 * - small chunks are merged into one message, large ones are sent without a copy, all
 *   under one `cork()` so the batch is a single `writev` syscall;
 * - reading honours backpressure by pausing the WebSocket (and so the TCP socket).
 *
 * Message boundaries carry no meaning: the peer sees one byte stream.
 */
export class WebSocketDuplex extends Duplex {
  readonly #ws: WebSocket;

  constructor(ws: WebSocket) {
    super({
      allowHalfOpen: false,
      writableHighWaterMark: WS_HIGH_WATER_MARK_BYTES,
      readableHighWaterMark: WS_HIGH_WATER_MARK_BYTES,
    });
    this.#ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
  }

  #onMessage = (data: Buffer | Buffer[] | ArrayBuffer): void => {
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!this.push(chunk)) this.#ws.pause();
  };

  #onClose = (): void => {
    this.push(null);
    // The peer is gone in both directions: nothing we write can be delivered any more.
    if (!this.destroyed) this.destroy();
  };

  #onError = (err: Error): void => {
    this.destroy(err);
  };

  override _read(): void {
    if (this.#ws.isPaused) this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) {
      callback(new Error('the tunnel WebSocket is closed'));
      return;
    }
    const messages = mergeSmallChunks(chunks);
    const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void; writableLength: number } })._socket;
    socket?.cork();
    const last = messages.length - 1;
    for (let i = 0; i < last; i++) ws.send(messages[i]!, SEND_OPTIONS);
    // While the socket buffer is short, take the next batch at once (the kernel is busy
    // with this one); past the mark, wait until this batch is written: that is the
    // backpressure HTTP/2 sees. Socket writes complete in order, so the last send's
    // callback covers the whole batch.
    let written = false;
    ws.send(messages[last]!, SEND_OPTIONS, function batchWritten(err) {
      if (written) return;
      written = true;
      callback(err);
    });
    socket?.uncork();
    if (!written && socket !== undefined && socket.writableLength < WS_HIGH_WATER_MARK_BYTES) {
      written = true;
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const ws = this.#ws;
    ws.off('message', this.#onMessage);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      // A failure must not wait for a close handshake the peer may never answer.
      if (error) ws.terminate();
      else ws.close(1000);
    }
    callback(error);
  }
}

const SEND_OPTIONS = { binary: true, compress: false, fin: true } as const;

/**
 * Groups runs of small chunks into single buffers (at most WS_MAX_MESSAGE_BYTES each)
 * and keeps large chunks as they are (sliced at WS_MAX_MESSAGE_BYTES), so bulk data is
 * never copied here.
 */
export function mergeSmallChunks(chunks: ReadonlyArray<{ chunk: Buffer }>): Buffer[] {
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const flushRun = (): void => {
    if (run.length === 1) out.push(run[0]!);
    else if (run.length > 1) out.push(Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const { chunk } of chunks) {
    if (chunk.length >= MERGE_BELOW_BYTES) {
      flushRun();
      // Never a message above the cap (the peer's frame deadline counts on it); no copy.
      for (let at = 0; at < chunk.length; at += WS_MAX_MESSAGE_BYTES) out.push(at === 0 && chunk.length <= WS_MAX_MESSAGE_BYTES ? chunk : chunk.subarray(at, at + WS_MAX_MESSAGE_BYTES));
      continue;
    }
    if (runBytes + chunk.length > WS_MAX_MESSAGE_BYTES) flushRun();
    run.push(chunk);
    runBytes += chunk.length;
  }
  flushRun();
  return out;
}
