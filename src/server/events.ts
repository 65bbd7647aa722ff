/**
 * In-process fan-out of server events. Git pushes are published here after they are
 * accepted; agent configuration and GitOps subscribe. (With replicas, a Redis bridge
 * republishes them on every replica.)
 */
import { EventEmitter } from 'node:events';

export interface PushEvent {
  project: { id: number; path_with_namespace: string; default_branch: string };
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** Object ids; `before` is forty zeros for a new ref, `after` forty zeros for a deletion. */
  before: string;
  after: string;
  user: { id: number; username: string } | null;
}

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export type PushListener = (event: PushEvent) => void | Promise<void>;

export class PushEvents {
  private readonly emitter = new EventEmitter();
  private readonly onError: (err: unknown, event: PushEvent) => void;

  constructor(onError: (err: unknown, event: PushEvent) => void = () => undefined) {
    this.emitter.setMaxListeners(0);
    this.onError = onError;
  }

  /** Calls `listener` for every push from now on; returns the way to stop. */
  subscribe(listener: PushListener): () => void {
    const onError = this.onError;
    const wrapped = function deliverPush(event: PushEvent) {
      // One failing subscriber must not keep the event from the others.
      try {
        const result = listener(event);
        if (result && typeof result.then === 'function') result.then(undefined, (err) => onError(err, event));
      } catch (err) {
        onError(err, event);
      }
    };
    this.emitter.on('push', wrapped);
    return () => this.emitter.off('push', wrapped);
  }

  publish(event: PushEvent): void {
    this.emitter.emit('push', event);
  }
}
