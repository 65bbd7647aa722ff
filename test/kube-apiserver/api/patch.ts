// The four PATCH flavours the API server accepts. Strategic merge and
// server-side apply know the merge keys of the built-in lists kubectl
// touches (containers by name, ports by containerPort…); other lists are
// replaced, which is what the real server does for atomic lists.

import { badRequest, ApiError } from './status.js';
import { isPlainObject } from './types.js';

type Json = unknown;
type Obj = Record<string, unknown>;

/** Field name → merge key, for lists merged by key. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  tolerations: 'key',
};

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    // Container ports merge by containerPort, service ports by port.
    const first = items.find(isPlainObject);
    if (first && 'containerPort' in first) return 'containerPort';
    return 'port';
  }
  return MERGE_KEYS[field];
}

export function jsonMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return patch;
  const result: Obj = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = jsonMergePatch(result[k], v);
  }
  return result;
}

function strategicList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  const key = mergeKeyFor(field, [...patch, ...original]);
  const primitive = patch.every((p) => !isPlainObject(p)) && original.every((p) => !isPlainObject(p));
  if (primitive && (field === 'finalizers')) {
    return [...original, ...patch.filter((p) => !original.includes(p))];
  }
  if (!key) {
    return patch.filter((p) => !(isPlainObject(p) && p.$patch === 'delete'));
  }
  if (patch.some((p) => isPlainObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace'));
  }
  const result = original.map((o) => o);
  for (const item of patch) {
    if (!isPlainObject(item)) continue;
    const idx = result.findIndex((o) => isPlainObject(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
      continue;
    }
    if (idx >= 0) result[idx] = strategicMergePatch(result[idx], item);
    else result.push(strategicMergePatch({}, item));
  }
  return result;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return rest;
  }
  const result: Obj = isPlainObject(target) ? { ...target } : {};
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$setElementOrder/')) continue; // applied after the merge, below
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(v)) result[field] = (result[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete result[k];
    else if (Array.isArray(v)) result[k] = strategicList(k, Array.isArray(result[k]) ? (result[k] as unknown[]) : [], v);
    else if (isPlainObject(v)) result[k] = strategicMergePatch(result[k], v);
    else result[k] = v;
  }
  if (retainKeys) for (const k of Object.keys(result)) if (!retainKeys.includes(k)) delete result[k];
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const field = k.slice('$setElementOrder/'.length);
    if (Array.isArray(result[field])) result[field] = inOrder(field, result[field] as unknown[], order);
  }
  return result;
}

/**
 * A keyed list sorted as `order` lists its keys (`$setElementOrder`, and the order of an
 * applied configuration); items `order` does not name keep their place after them.
 */
function inOrder(field: string, items: unknown[], order: unknown[]): unknown[] {
  const key = mergeKeyFor(field, [...order, ...items]);
  if (!key) return items;
  const wanted = order.map((o) => (isPlainObject(o) ? o[key] : o));
  const rank = (item: unknown) => {
    const i = isPlainObject(item) ? wanted.indexOf(item[key]) : -1;
    return i < 0 ? wanted.length : i;
  };
  return items.map((item, index) => ({ item, index })).sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index).map((x) => x.item);
}

/** Keyed lists of `merged` in the order `applied` gives them, recursively (server-side apply). */
function orderLikeApplied(merged: Json, applied: Json): Json {
  if (!isPlainObject(merged) || !isPlainObject(applied)) return merged;
  const result: Obj = { ...merged };
  for (const [k, v] of Object.entries(applied)) {
    if (isPlainObject(v)) result[k] = orderLikeApplied(result[k], v);
    else if (Array.isArray(v) && Array.isArray(result[k])) {
      const key = mergeKeyFor(k, [...v, ...(result[k] as unknown[])]);
      if (!key) continue;
      result[k] = inOrder(k, result[k] as unknown[], v).map((item) => {
        const source = v.find((a) => isPlainObject(a) && isPlainObject(item) && a[key] === item[key]);
        return source === undefined ? item : orderLikeApplied(item, source);
      });
    }
  }
  return result;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, segments: string[]): { parent: Obj | unknown[]; key: string } {
  let current: unknown = doc;
  for (const s of segments.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(s)];
    else if (isPlainObject(current)) current = current[s];
    else current = undefined;
    if (current === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: missing path ${segments.join('/')}`);
  }
  if (!Array.isArray(current) && !isPlainObject(current)) throw new ApiError(422, 'Invalid', 'invalid patch target');
  return { parent: current, key: segments[segments.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let current: unknown = doc;
  for (const s of pointer(path)) current = Array.isArray(current) ? current[Number(s)] : isPlainObject(current) ? current[s] : undefined;
  return current;
}

export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let result = structuredClone(doc);
  for (const raw of ops) {
    const op = raw as { op: string; path: string; value?: Json; from?: string };
    const segments = pointer(op.path);
    if (segments.length === 0) {
      if (op.op === 'add' || op.op === 'replace') result = structuredClone(op.value);
      continue;
    }
    const { parent, key } = parentOf(result, segments);
    switch (op.op) {
      case 'add':
      case 'replace':
        if (Array.isArray(parent)) {
          const i = key === '-' ? parent.length : Number(key);
          if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
          else parent[i] = structuredClone(op.value);
        } else parent[key] = structuredClone(op.value);
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 'test':
        if (JSON.stringify(getAt(result, op.path)) !== JSON.stringify(op.value)) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: test failed for ${op.path}`);
        }
        break;
      case 'move':
      case 'copy': {
        const value = structuredClone(getAt(result, op.from ?? ''));
        if (op.op === 'move') result = jsonPatch(result, [{ op: 'remove', path: op.from }]);
        result = jsonPatch(result, [{ op: 'add', path: op.path, value }]);
        break;
      }
      default:
        throw badRequest(`unknown json patch operation ${op.op}`);
    }
  }
  return result;
}

/**
 * Server-side apply with field ownership reduced to one rule: a field manager owns what it
 * applied last time. A field in that previous configuration which the new one leaves out
 * is removed from the live object (the real server removes fields no other manager owns;
 * helm 4 relies on this when an upgrade drops a value); the new configuration is then
 * merged in (maps recursively, keyed lists by key and in the applied order, other lists
 * replaced). No conflicts between managers are detected.
 */
export function serverSideApply(live: Json, applied: Json, previouslyApplied?: Json): Json {
  const pruned = previouslyApplied === undefined ? live : pruneDropped(live, previouslyApplied, applied);
  return orderLikeApplied(strategicMergePatch(pruned, applied), applied);
}

/** `live` without the fields that `previous` set and `next` no longer does. */
function pruneDropped(live: Json, previous: Json, next: Json): Json {
  if (!isPlainObject(live) || !isPlainObject(previous)) return live;
  const nextObj = isPlainObject(next) ? next : {};
  const result: Obj = { ...live };
  for (const [k, before] of Object.entries(previous)) {
    if (!(k in nextObj)) {
      delete result[k];
      continue;
    }
    const after = nextObj[k];
    if (isPlainObject(before) && isPlainObject(after)) result[k] = pruneDropped(result[k], before, after);
    else if (Array.isArray(before) && Array.isArray(after) && Array.isArray(result[k])) result[k] = pruneDroppedItems(k, result[k] as unknown[], before, after);
  }
  return result;
}

/** Keyed lists lose the items the manager applied before and not now; atomic lists are replaced by the merge anyway. */
function pruneDroppedItems(field: string, live: unknown[], previous: unknown[], next: unknown[]): unknown[] {
  const key = mergeKeyFor(field, [...next, ...previous, ...live]);
  if (!key) return live;
  const byKey = (items: unknown[], value: unknown) => items.find((i) => isPlainObject(i) && i[key] === value);
  const kept: unknown[] = [];
  for (const item of live) {
    const before = isPlainObject(item) ? byKey(previous, item[key]) : undefined;
    if (before === undefined) {
      kept.push(item);
      continue;
    }
    const after = byKey(next, (item as Obj)[key]);
    if (after !== undefined) kept.push(pruneDropped(item, before, after));
  }
  return kept;
}
