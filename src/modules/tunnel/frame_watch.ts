/**
 * Bounds how long a WebSocket tunnel may stay in the middle of a frame. `ws` hands a
 * message over only once all of it arrived, and meanwhile nothing else on the connection
 * (pongs included) can be read: a peer that sends a frame header claiming megabytes and
 * then little or nothing holds the connection in a half-received frame until the
 * heartbeat gives up. This watches the bytes the peer sends for frame boundaries (RFC
 * 6455 §5.2 headers, read alongside `ws`, never instead of it) and reports a frame that is
 * not complete `timeoutMs` after its first byte.
 *
 * Peers send messages of at most `WS_MAX_MESSAGE_BYTES`, so an honest frame completes
 * within the timeout on any link faster than that size per timeout.
 */

export interface StalledFrame {
  /** The payload length the frame header announced. */
  payloadBytes: number;
  /** How much of the payload arrived. */
  receivedBytes: number;
}

interface DataSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Starts watching `socket`; `onStall` runs at most once. Returns the way to stop. */
export function watchFrames(socket: DataSource, timeoutMs: number, onStall: (frame: StalledFrame) => void): () => void {
  const parser = new FrameParser();
  let timer: NodeJS.Timeout | undefined;
  let armedFor = -1;
  let stopped = false;

  const check = (): void => {
    timer = undefined;
    if (stopped || !parser.inFrame) return;
    const elapsed = Date.now() - parser.frameStartedAt;
    if (parser.frameSeq === armedFor && elapsed >= timeoutMs) {
      stop();
      onStall({ payloadBytes: parser.payloadBytes, receivedBytes: parser.receivedBytes });
      return;
    }
    arm();
  };
  // One timer at a time, for the frame in progress; it re-arms itself for a later frame.
  const arm = (): void => {
    if (timer || !parser.inFrame) return;
    armedFor = parser.frameSeq;
    timer = setTimeout(check, Math.max(0, timeoutMs - (Date.now() - parser.frameStartedAt)));
    timer.unref();
  };
  const onData = (chunk: Buffer): void => {
    parser.push(chunk);
    if (parser.inFrame) arm();
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    socket.off('data', onData);
  };
  socket.on('data', onData);
  socket.once('close', stop);
  return stop;
}

/** Follows frame boundaries in a byte stream without keeping payloads. */
export class FrameParser {
  /** Header bytes of the frame being read (at most 14). */
  #header: number[] = [];
  #remaining = 0;
  inFrame = false;
  frameSeq = 0;
  frameStartedAt = 0;
  payloadBytes = 0;
  receivedBytes = 0;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inFrame) {
        this.inFrame = true;
        this.frameSeq++;
        this.frameStartedAt = Date.now();
        this.#header = [];
        this.payloadBytes = 0;
        this.receivedBytes = 0;
      }
      if (this.#remaining === 0 && !this.#headerComplete()) {
        this.#header.push(chunk[i]!);
        i++;
        if (this.#headerComplete()) {
          this.payloadBytes = this.#payloadLength();
          this.#remaining = this.payloadBytes;
          if (this.#remaining === 0) this.#endFrame();
        }
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - i);
      this.#remaining -= take;
      this.receivedBytes += take;
      i += take;
      if (this.#remaining === 0) this.#endFrame();
    }
  }

  #endFrame(): void {
    this.inFrame = false;
    this.#header = [];
  }

  /** Header length: 2, plus 2 or 8 for extended lengths, plus 4 for a masking key. */
  #headerLength(): number {
    const h = this.#header;
    if (h.length < 2) return 2;
    const len7 = h[1]! & 0x7f;
    const masked = (h[1]! & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  #headerComplete(): boolean {
    return this.#header.length >= 2 && this.#header.length >= this.#headerLength();
  }

  #payloadLength(): number {
    const h = this.#header;
    const len7 = h[1]! & 0x7f;
    if (len7 < 126) return len7;
    if (len7 === 126) return (h[2]! << 8) | h[3]!;
    // 64-bit lengths: anything above 2^53 is absurd; ws refuses it past its maxPayload anyway.
    let n = 0;
    for (let k = 2; k < 10; k++) n = n * 256 + h[k]!;
    return n;
  }
}
