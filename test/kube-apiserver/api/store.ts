// In-memory object storage with one global resourceVersion counter (like
// etcd's revision) and a bounded history of changes so a watch can resume
// from a resourceVersion the client saw in a list.

import { randomUUID } from 'node:crypto';
import { clone, type KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** storageKey of the bucket, e.g. `/pods` or `apps/deployments`. */
  key: string;
  rv: number;
  object: KubeObject;
  /** The object before the change (MODIFIED/DELETED), to compute selector transitions. */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

const HISTORY_LIMIT = 5000;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private rv = 1000;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  currentRv(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  oldestResumableRv(): number {
    return this.history.length > 0 ? this.history[0]!.rv - 1 : this.rv;
  }

  private bucket(key: string): Map<string, KubeObject> {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Map();
      this.buckets.set(key, b);
    }
    return b;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.buckets.get(key)?.get(objectKey(namespace, name));
    return obj ? clone(obj) : undefined;
  }

  list(key: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.buckets.get(key)?.values() ?? []) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(clone(obj));
    }
    return out.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name!).localeCompare(objectKey(b.metadata.namespace, b.metadata.name!)),
    );
  }

  /** Every bucket's keys, for namespace cleanup and garbage collection. */
  keys(): string[] {
    return [...this.buckets.keys()];
  }

  /** Stores a new object. The caller has checked it does not exist yet. */
  create(key: string, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    const meta = stored.metadata;
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta.resourceVersion = String(++this.rv);
    this.bucket(key).set(objectKey(meta.namespace, meta.name!), stored);
    this.emit({ type: 'ADDED', key, rv: this.rv, object: clone(stored) });
    return clone(stored);
  }

  /** Replaces an existing object, bumping its resourceVersion. */
  update(key: string, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    const id = objectKey(stored.metadata.namespace, stored.metadata.name!);
    const previous = this.bucket(key).get(id);
    stored.metadata.resourceVersion = String(++this.rv);
    this.bucket(key).set(id, stored);
    this.emit({ type: 'MODIFIED', key, rv: this.rv, object: clone(stored), previous: previous && clone(previous) });
    return clone(stored);
  }

  delete(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const id = objectKey(namespace, name);
    const existing = this.buckets.get(key)?.get(id);
    if (!existing) return undefined;
    this.buckets.get(key)!.delete(id);
    const deleted = clone(existing);
    deleted.metadata.resourceVersion = String(++this.rv);
    this.emit({ type: 'DELETED', key, rv: this.rv, object: clone(deleted), previous: clone(existing) });
    return deleted;
  }

  /** Events after `rv`, or undefined when the history no longer reaches back that far. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResumableRv()) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        // A broken watcher must not break writes; surface it on stderr for the test author.
        console.error('kube-apiserver simulator: store listener failed', err);
      }
    }
  }
}
