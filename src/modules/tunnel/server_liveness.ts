/**
 * Whether an agent connection is known to be alive, as the server routes requests. The
 * heartbeat (heartbeat.ts) drops a connection after a long silence; this decides much
 * sooner whether the connection should get new requests at all: a ping the agent does not
 * acknowledge within `ackTimeoutMs` takes the connection out of rotation at once, and any
 * sign of life (an ack, a ping, any byte read) puts it back.
 *
 * Pings go out every `intervalMs`, and when a request is about to use a connection that
 * has been quiet for `probeIdleMs` — so a request sent to a hung pod finds out within one
 * ack timeout, not one heartbeat timeout.
 */

export interface LivenessOptions {
  intervalMs: number;
  ackTimeoutMs: number;
  probeIdleMs: number;
  /**
   * A ping still unacknowledged after this long, while bytes keep arriving, means the
   * agent's frames do not complete (a frame left half-sent, or a peer that trickles):
   * `onStuck` then ends the connection.
   */
  stuckTimeoutMs: number;
  onStuck(): void;
  /** Sends a ping; `acked` runs when its acknowledgement arrives. False when it could not be sent. */
  ping(acked: () => void): boolean;
  /** Bytes read from the agent so far: any progress is a sign of life. */
  bytesRead(): number;
  onSuspect(): void;
  onAlive(): void;
}

export class Liveness {
  #suspect = false;
  #lastHeard = Date.now();
  #probe: { sentAt: number; bytesRead: number; timer: NodeJS.Timeout } | undefined;
  readonly #interval: NodeJS.Timeout;
  readonly #options: LivenessOptions;

  constructor(options: LivenessOptions) {
    this.#options = options;
    this.#interval = setInterval(() => this.probe(), options.intervalMs);
    this.#interval.unref();
  }

  get suspect(): boolean {
    return this.#suspect;
  }

  /** Something came from the agent. */
  heard(): void {
    this.#lastHeard = Date.now();
    if (this.#probe) {
      clearTimeout(this.#probe.timer);
      this.#probe = undefined;
    }
    if (this.#suspect) {
      this.#suspect = false;
      this.#options.onAlive();
    }
  }

  /** Pings unless a ping is already waiting for its ack. */
  probe(): void {
    if (this.#probe) return;
    const bytesRead = this.#options.bytesRead();
    const sentAt = Date.now();
    let sent: boolean;
    try {
      sent = this.#options.ping(() => this.heard());
    } catch {
      sent = false;
    }
    if (!sent) return;
    this.#probe = { sentAt, bytesRead, timer: this.#checkLater(this.#options.ackTimeoutMs) };
  }

  #checkLater(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#checkProbe(), ms);
    timer.unref();
    return timer;
  }

  /** The ping's ack is late: suspect if nothing arrives at all, stuck if data arrives but no ack. */
  #checkProbe(): void {
    const probe = this.#probe;
    if (!probe) return;
    const waited = Date.now() - probe.sentAt;
    const bytesRead = this.#options.bytesRead();
    if (bytesRead !== probe.bytesRead) {
      // Bytes keep arriving: a large transfer may queue the ack behind its data, so the
      // connection stays in rotation, up to the point where no frame can be that long.
      if (waited >= this.#options.stuckTimeoutMs) {
        this.#probe = undefined;
        this.#options.onStuck();
        return;
      }
      if (this.#suspect) {
        this.#suspect = false;
        this.#options.onAlive();
      }
      probe.bytesRead = bytesRead;
    } else if (!this.#suspect) {
      this.#suspect = true;
      this.#options.onSuspect();
    }
    probe.timer = this.#checkLater(Math.min(this.#options.ackTimeoutMs, Math.max(1, this.#options.stuckTimeoutMs - waited)));
  }

  /** Before a new request uses the connection: probe it if it has been quiet for a while. */
  probeIfQuiet(): void {
    if (Date.now() - this.#lastHeard >= this.#options.probeIdleMs) this.probe();
  }

  stop(): void {
    clearInterval(this.#interval);
    if (this.#probe) clearTimeout(this.#probe.timer);
    this.#probe = undefined;
  }
}
