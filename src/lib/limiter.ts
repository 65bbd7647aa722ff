/**
 * A counting semaphore with a bounded queue: at most `max` holders at once, at most
 * `maxQueued` waiting; past that, `acquire` refuses at once (the caller answers 429 with a
 * message naming the limit) rather than let waiters pile up without bound.
 */
export class Limiter {
  #held = 0;
  readonly #queue: Array<() => void> = [];

  constructor(
    readonly max: number,
    readonly maxQueued: number,
  ) {}

  get held(): number {
    return this.#held;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves with the release function once a slot is free; null when the queue is full. */
  acquire(): Promise<(() => void) | null> {
    if (this.#held < this.max) {
      this.#held++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.maxQueued) return Promise.resolve(null);
    return new Promise((resolve) => this.#queue.push(() => resolve(this.#releaser())));
  }

  /** A slot now, or null: for callers that must never wait. */
  tryAcquire(): (() => void) | null {
    if (this.#held >= this.max) return null;
    this.#held++;
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter.
      if (next) next();
      else this.#held--;
    };
  }
}
