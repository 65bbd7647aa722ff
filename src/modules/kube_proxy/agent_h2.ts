/**
 * Long-lived requests (watch, `logs -f`) to the Kubernetes API over HTTP/2, many streams
 * per connection. Each one held an HTTP/1.1 connection of the agent's pool for its whole
 * life: 500 watches through one pod exhausted the pool's 256 connections and every short
 * request of every job waited behind them. Multiplexed, 500 watches need five connections
 * (the API server allows 100 streams per connection since the HTTP/2 "rapid reset" fixes),
 * and they never touch the pool that short requests use. See docs/benchmarks.md for the
 * measurement behind the choice.
 *
 * Sessions are opened as streams need them: a new stream goes to a session with a free
 * stream slot (the server's SETTINGS_MAX_CONCURRENT_STREAMS; 100 until it says), else to a
 * new session, up to `maxSessions`. A session the server is leaving (GOAWAY) takes no new
 * streams. An API server that does not speak HTTP/2 (no `h2` in ALPN, or plain http://)
 * is detected on the first connection and reported, so the caller can use HTTP/1.1.
 */
import http2 from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';

/** Streams per session assumed until the server's SETTINGS say otherwise (kube-apiserver's value). */
export const ASSUMED_MAX_STREAMS = 100;
/** A session without streams for this long is closed (one is kept). */
export const IDLE_SESSION_MS = 60_000;
/** Time to connect and receive the server's SETTINGS. */
export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Flow-control windows. A stream whose caller stops reading stops at its own window; the
 * connection window is larger than all stream windows together (100 × 256 KiB), so stalled
 * streams can never use it up and hold back the others on the connection.
 */
export const STREAM_WINDOW_BYTES = 256 * 1024;
export const CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;
/** Streams put on one session at most, whatever the server allows: keeps the rule above. */
export const MAX_STREAMS_PER_SESSION = 250;

/** The API server does not speak HTTP/2: use HTTP/1.1 for long-lived requests. */
export class Http2UnsupportedError extends Error {
  override name = 'Http2UnsupportedError';
}

interface Slot {
  session: http2.ClientHttp2Session;
  /** Streams open or reserved on it. */
  active: number;
  maxStreams: number;
  ready: Promise<void>;
  closing: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface KubeH2Options {
  /** `https://host:port` of the API server. */
  origin: string;
  tls: ConnectionOptions;
  maxSessions: number;
}

export class KubeH2Client {
  readonly #options: KubeH2Options;
  #slots: Slot[] = [];
  /** Undefined until the first session says; false once the API server refused HTTP/2. */
  #supported: boolean | undefined;
  #closed = false;

  constructor(options: KubeH2Options) {
    this.#options = options;
    if (!options.origin.startsWith('https:')) this.#supported = false;
  }

  /** Whether HTTP/2 is known not to work with this API server. */
  get unsupported(): boolean {
    return this.#supported === false;
  }

  /** Sessions open now (for metrics and tests). */
  get sessions(): number {
    return this.#slots.length;
  }

  /**
   * A stream for one request. Rejects with `Http2UnsupportedError` when the API server does
   * not speak HTTP/2, and with an error naming `maxSessions` when every session allowed is
   * full (the caller's stream limit should have refused the request before).
   */
  async open(headers: OutgoingHttpHeaders, endStream: boolean): Promise<http2.ClientHttp2Stream> {
    if (this.#supported === false) throw new Http2UnsupportedError('the Kubernetes API does not offer HTTP/2');
    const slot = this.#reserve();
    try {
      await slot.ready;
    } catch (err) {
      this.#release(slot);
      throw err;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = slot.session.request(headers, { endStream });
    } catch (err) {
      this.#release(slot);
      throw err;
    }
    stream.once('close', () => {
      // The server refused streams on this session for its own reasons (too much buffered,
      // too many resets): new streams go to another session.
      if (stream.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM) this.#retire(slot, false);
      this.#release(slot);
    });
    return stream;
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) {
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.session.close();
    }
    this.#slots = [];
  }

  /** A slot on a session with room (reserved at once, so concurrent opens never overfill one). */
  #reserve(): Slot {
    let slot = this.#slots.find((s) => !s.closing && s.active < s.maxStreams);
    if (!slot) {
      if (this.#slots.length >= this.#options.maxSessions) {
        throw new Error(`all ${this.#options.maxSessions} HTTP/2 connections to the Kubernetes API are full`);
      }
      slot = this.#connect();
    }
    slot.active++;
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    return slot;
  }

  #release(slot: Slot): void {
    slot.active--;
    if (slot.active > 0 || slot.closing || this.#closed) return;
    // Keep one session warm; close the others once they have been idle a while.
    if (this.#slots.filter((s) => !s.closing).length <= 1) return;
    slot.idleTimer = setTimeout(() => {
      if (slot.active === 0) this.#retire(slot, true);
    }, IDLE_SESSION_MS);
    slot.idleTimer.unref();
  }

  #connect(): Slot {
    const session = http2.connect(this.#options.origin, {
      ...this.#options.tls,
      ALPNProtocols: ['h2'],
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES },
      peerMaxConcurrentStreams: ASSUMED_MAX_STREAMS,
    });
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    const slot: Slot = { session, active: 0, maxStreams: ASSUMED_MAX_STREAMS, ready: Promise.resolve(), closing: false, idleTimer: undefined };
    slot.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error(`no HTTP/2 session with the Kubernetes API within ${CONNECT_TIMEOUT_MS / 1000} s`));
      }, CONNECT_TIMEOUT_MS);
      session.once('remoteSettings', () => {
        clearTimeout(timer);
        this.#supported = true;
        resolve();
      });
      session.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (isAlpnRefusal(err)) {
          this.#supported = false;
          reject(new Http2UnsupportedError(`the Kubernetes API does not offer HTTP/2 (${err.code ?? err.message})`));
        } else reject(err);
      });
    });
    // The rejection is handled by whoever awaits `ready`; no unhandled rejection here.
    slot.ready.catch(() => undefined);
    session.on('remoteSettings', (settings) => {
      slot.maxStreams = Math.min(settings.maxConcurrentStreams ?? ASSUMED_MAX_STREAMS, MAX_STREAMS_PER_SESSION);
    });
    session.on('goaway', () => this.#retire(slot, false));
    session.on('close', () => this.#forget(slot));
    session.on('error', () => this.#forget(slot));
    // Idle sessions must not keep the agent process alive.
    session.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** No new streams on this session; streams in flight finish. */
  #retire(slot: Slot, close: boolean): void {
    slot.closing = true;
    if (close) slot.session.close();
  }

  #forget(slot: Slot): void {
    slot.closing = true;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    this.#slots = this.#slots.filter((s) => s !== slot);
  }
}

/** The TLS handshake failed because the server offers no `h2` (not a network failure). */
function isAlpnRefusal(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' || /ALPN|no application protocol/i.test(err.message);
}
