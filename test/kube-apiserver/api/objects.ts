// Object lifecycle rules shared by the HTTP handlers, the controllers and the
// test-facing API: admission (defaults, validation, namespace existence),
// resourceVersion preconditions, generation bumps, status subresource
// separation and cascading deletion.

import { randomBytes } from 'node:crypto';
import { applyCreateDefaults, hasStatusSubresource, normalizeSecret } from './defaults.js';
import { apiVersionOf, storageKey, type ResourceDef, type ResourceRegistry } from './resources.js';
import { alreadyExists, ApiError, badRequest, conflict, notFound } from './status.js';
import type { ObjectStore } from './store.js';
import { clone, type KubeObject } from './types.js';
import { validateObject } from './validate.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** Writes to `/status` change only status; writes to the main resource keep status. */
  subresource?: string;
}

const NAMESPACES_KEY = '/namespaces';

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

export class ObjectService {
  constructor(
    readonly store: ObjectStore,
    readonly registry: ResourceRegistry,
  ) {}

  /** Returns the stored object in the requested version's apiVersion. */
  present(def: ResourceDef, obj: KubeObject, version = def.version): KubeObject {
    obj.apiVersion = apiVersionOf(def.group, version);
    return obj;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(storageKey(def), def.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(def.group, def.plural, name);
    return obj;
  }

  find(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(storageKey(def), def.namespaced ? namespace : undefined, name);
  }

  list(def: ResourceDef, namespace?: string): KubeObject[] {
    return this.store.list(storageKey(def), def.namespaced ? namespace : undefined);
  }

  create(def: ResourceDef, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(def.group, def.version);
    obj.kind = def.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (!def.namespaced) delete meta.namespace;
    else if (!meta.namespace) throw badRequest('the namespace of the object must be set');
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    delete meta.uid;
    delete meta.resourceVersion;
    delete meta.creationTimestamp;
    delete meta.deletionTimestamp;
    meta.generation = 1;
    applyCreateDefaults(obj);
    validateObject(def, obj);
    if (def.namespaced) this.requireNamespace(meta.namespace!);
    if (this.find(def, meta.namespace, meta.name!)) throw alreadyExists(def.group, def.plural, meta.name!);
    if (options.dryRun) {
      meta.uid = 'dry-run';
      meta.creationTimestamp = new Date().toISOString();
      return obj;
    }
    return this.store.create(storageKey(def), obj);
  }

  requireNamespace(namespace: string): void {
    const ns = this.store.get(NAMESPACES_KEY, undefined, namespace);
    if (!ns) throw notFound('', 'namespaces', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Full replacement (PUT, and the last step of every PATCH). */
  update(def: ResourceDef, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const obj = clone(input);
    const name = obj.metadata?.name;
    if (!name) throw badRequest('name is required');
    const current = this.get(def, obj.metadata.namespace, name);
    const requested = obj.metadata.resourceVersion;
    if (requested && requested !== current.metadata.resourceVersion) throw conflict(def.group, def.plural, name);
    obj.apiVersion = current.apiVersion;
    obj.kind = def.kind;
    // Identity and server-owned metadata cannot be changed by clients.
    for (const field of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'namespace'] as const) {
      if (current.metadata[field] === undefined) delete obj.metadata[field];
      else (obj.metadata as Record<string, unknown>)[field] = current.metadata[field];
    }
    if (options.subresource === 'status') {
      const next = clone(current);
      next.status = obj.status;
      return options.dryRun ? next : this.store.update(storageKey(def), next);
    }
    if (hasStatusSubresource(def.subresources) && current.status !== undefined) obj.status = current.status;
    normalizeSecret(obj);
    validateObject(def, obj);
    if (specOf(obj) !== specOf(current)) obj.metadata.generation = (current.metadata.generation ?? 1) + 1;
    if (options.dryRun) return obj;
    return this.store.update(storageKey(def), obj);
  }

  /** Deletes at once (no graceful period) and cascades to dependents unless orphaning. */
  delete(def: ResourceDef, namespace: string | undefined, name: string, propagationPolicy?: string, options: WriteOptions = {}): KubeObject {
    const current = this.get(def, namespace, name);
    if (options.dryRun) return current;
    if (def.group === '' && def.plural === 'namespaces') return this.deleteNamespace(current);
    const deleted = this.store.delete(storageKey(def), def.namespaced ? namespace : undefined, name)!;
    this.cascade(deleted, propagationPolicy ?? 'Background');
    return deleted;
  }

  private deleteNamespace(ns: KubeObject): KubeObject {
    // Like the namespace controller: mark Terminating, empty it, then remove it — all before returning.
    const name = ns.metadata.name!;
    ns.metadata.deletionTimestamp = new Date().toISOString();
    ns.status = { phase: 'Terminating' };
    const terminating = this.store.update(NAMESPACES_KEY, ns);
    for (const def of this.registry.all()) {
      if (!def.namespaced) continue;
      for (const obj of this.store.list(storageKey(def), name)) this.store.delete(storageKey(def), name, obj.metadata.name!);
    }
    setTimeout(() => this.store.delete(NAMESPACES_KEY, undefined, name), 0).unref();
    return terminating;
  }

  private cascade(owner: KubeObject, policy: string): void {
    const uid = owner.metadata.uid;
    for (const def of this.registry.all()) {
      const candidates = def.namespaced ? this.list(def, owner.metadata.namespace) : this.list(def);
      for (const dep of candidates) {
        const refs = dep.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        if (policy === 'Orphan') {
          dep.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
          this.store.update(storageKey(def), dep);
        } else {
          const gone = this.store.delete(storageKey(def), dep.metadata.namespace, dep.metadata.name!);
          if (gone) this.cascade(gone, policy);
        }
      }
    }
  }
}
