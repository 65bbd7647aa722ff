// Holding requests on purpose: a test that must know a request is in flight (e.g. a
// proxy's drain on SIGTERM) holds matching requests in the simulator until it releases
// them. Nothing is held unless a test asks.

export interface HeldRequest {
  method: string;
  path: string;
}

export interface RequestHold {
  /** Requests waiting now. */
  readonly held: number;
  /** Resolves once at least `count` requests wait (rejects after `timeoutMs`). */
  waitForHeld(count: number, timeoutMs?: number): Promise<void>;
  /** Lets every held request (and every later match) through. */
  release(): void;
}

interface Hold {
  match: (req: HeldRequest) => boolean;
  released: boolean;
  waiting: Array<() => void>;
  watchers: Array<() => void>;
}

export class RequestHolds {
  readonly #holds = new Set<Hold>();

  add(match: (req: HeldRequest) => boolean): RequestHold {
    const hold: Hold = { match, released: false, waiting: [], watchers: [] };
    this.#holds.add(hold);
    const notify = (): void => {
      for (const watcher of hold.watchers) watcher();
    };
    const holds = this.#holds;
    return {
      get held() {
        return hold.waiting.length;
      },
      waitForHeld(count, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = (): boolean => {
            if (hold.waiting.length < count) return false;
            hold.watchers = hold.watchers.filter((w) => w !== check);
            clearTimeout(timer);
            resolve();
            return true;
          };
          const timer = setTimeout(() => {
            hold.watchers = hold.watchers.filter((w) => w !== check);
            reject(new Error(`${hold.waiting.length} of ${count} requests held within ${timeoutMs} ms`));
          }, timeoutMs);
          if (!check()) hold.watchers.push(check);
        });
      },
      release() {
        hold.released = true;
        holds.delete(hold);
        const waiting = hold.waiting.splice(0);
        for (const go of waiting) go();
        notify();
      },
    };
  }

  /** Resolves when no hold matches the request any more (at once when none does). */
  wait(req: HeldRequest): Promise<void> | undefined {
    for (const hold of this.#holds) {
      if (hold.released || !hold.match(req)) continue;
      return new Promise((resolve) => {
        hold.waiting.push(resolve);
        for (const watcher of [...hold.watchers]) watcher();
      });
    }
    return undefined;
  }
}
