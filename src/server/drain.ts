/**
 * The server's shutdown, in the documented order (docs/operations.md): stop accepting,
 * let the requests in flight finish (at most the drain timeout) while every module keeps
 * running — proxied requests through tunnels that are still open —, cut what is left,
 * then stop the modules in order (audit events flushed, tunnels closed), then the store.
 *
 * `Drain` counts the requests in flight and tells the modules when draining starts (the
 * proxy ends watches then: they never finish on their own) and when the deadline cut what
 * was left (the proxy closes exec and port-forward streams).
 */

/** How long requests cut at the deadline get to record their outcome (audit) before modules stop. */
export const CUT_GRACE_MS = 2_000;

/** Something whose end means the request is over: a response, a socket. */
export interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

export class Drain {
  #inFlight = 0;
  #draining = false;
  #idle: Array<() => void> = [];
  readonly #onStart: Array<() => void> = [];
  readonly #onDeadline: Array<() => void> = [];

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Counts a request as in flight until `closed` emits `close`. */
  track(closed: Closable): void {
    this.#inFlight++;
    closed.once('close', () => {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#wakeIdle();
    });
  }

  /** `listener` runs once when draining starts (e.g. end watches, which never finish by themselves). */
  onStart(listener: () => void): void {
    this.#onStart.push(listener);
  }

  /** `listener` runs once if the deadline passes with requests still in flight (e.g. cut exec streams). */
  onDeadline(listener: () => void): void {
    this.#onDeadline.push(listener);
  }

  /**
   * Starts draining and resolves once no request is in flight: true when they all finished
   * within `timeoutMs`; false when the deadline cut them (`cut` ran, as did the
   * `onDeadline` listeners, and the cut requests had `CUT_GRACE_MS` to end).
   */
  async run(timeoutMs: number, cut: () => void): Promise<boolean> {
    this.#draining = true;
    for (const listener of this.#onStart) runSafely(listener);
    if (await this.#idleWithin(timeoutMs)) return true;
    cut();
    for (const listener of this.#onDeadline) runSafely(listener);
    await this.#idleWithin(CUT_GRACE_MS);
    return false;
  }

  #idleWithin(ms: number): Promise<boolean> {
    if (this.#inFlight === 0) return settle(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        // A macrotask later: what a request does right after its `close` (an audit
        // record) has run by then.
        setImmediate(() => resolve(true));
      };
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      this.#idle.push(wake);
    });
  }

  #wakeIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const wake of waiting) wake();
  }
}

function settle(value: boolean): Promise<boolean> {
  return new Promise((resolve) => setImmediate(() => resolve(value)));
}

/** A failing shutdown listener must not stop the shutdown. */
function runSafely(listener: () => void): void {
  try {
    listener();
  } catch {
    // The shutdown goes on; the listener's own module logs what went wrong.
  }
}
