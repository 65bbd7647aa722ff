// The REST verbs on stored resources: get, list, create, update, patch,
// delete, deletecollection — plus `status` and `scale` subresources.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonMergePatch, jsonPatch, serverSideApply, strategicMergePatch } from '../api/patch.js';
import { apiVersionOf, type ResourceDef } from '../api/resources.js';
import { parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import { ApiError, badRequest, methodNotAllowed, notFound } from '../api/status.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import type { SimContext } from '../context.js';
import { parseStructured, readBody, wantsTable, writeJson } from './io.js';
import type { RequestInfo } from './request-info.js';
import { applyScale, scaleOf } from './scale.js';
import { buildTable } from './table.js';

export function filterObjects(objects: KubeObject[], url: URL): KubeObject[] {
  const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
  return objects.filter((o) => labels(o) && fields(o));
}

function isDryRun(url: URL): boolean {
  return url.searchParams.getAll('dryRun').includes('All');
}

function asObject(value: unknown): KubeObject {
  if (!isPlainObject(value)) throw badRequest('the request body must be an object');
  const obj = value as KubeObject;
  obj.metadata ??= {};
  return obj;
}

function respondObject(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, def: ResourceDef, version: string, obj: KubeObject, code = 200): void {
  ctx.objects.present(def, obj, version);
  if (wantsTable(req)) {
    writeJson(res, code, buildTable(def, [obj], obj.metadata.resourceVersion ?? '', url.searchParams.get('includeObject')));
    return;
  }
  writeJson(res, code, obj);
}

function checkBodyIdentity(def: ResourceDef, info: RequestInfo, obj: KubeObject): void {
  if (def.namespaced) {
    if (obj.metadata.namespace && info.namespace && obj.metadata.namespace !== info.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = info.namespace;
  }
  if (info.name && obj.metadata.name && obj.metadata.name !== info.name) {
    throw badRequest('the name of the object (' + obj.metadata.name + ') does not match the name on the URL (' + info.name + ')');
  }
  if (info.name) obj.metadata.name = info.name;
  const expected = apiVersionOf(def.group, info.apiVersion);
  if (obj.apiVersion && obj.apiVersion !== expected && !def.versions.some((v) => apiVersionOf(def.group, v) === obj.apiVersion)) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (obj.kind && obj.kind !== def.kind) throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${def.kind})`);
}

export async function handleCrud(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, def: ResourceDef): Promise<void> {
  const ns = def.namespaced ? info.namespace || undefined : undefined;
  const version = info.apiVersion;
  const sub = info.subresource;
  if (sub && sub !== 'status' && sub !== 'scale') throw notFound(def.group, `${def.plural}/${sub}`, info.name);

  switch (info.verb) {
    case 'get': {
      const obj = ctx.objects.get(def, ns, info.name);
      if (sub === 'scale') return writeJson(res, 200, scaleOf(obj));
      return respondObject(ctx, req, res, url, def, version, obj);
    }
    case 'list': {
      const items = filterObjects(ctx.objects.list(def, ns), url).map((o) => ctx.objects.present(def, o, version));
      const rv = String(ctx.store.currentRv());
      if (wantsTable(req)) return writeJson(res, 200, buildTable(def, items, rv, url.searchParams.get('includeObject')));
      return writeJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def.group, version), metadata: { resourceVersion: rv }, items });
    }
    case 'create': {
      if (def.namespaced && !info.namespace) throw methodNotAllowed();
      const obj = asObject(parseStructured(await readBody(req), req.headers['content-type']));
      checkBodyIdentity(def, { ...info, name: '' }, obj);
      const created = ctx.objects.create(def, obj, { dryRun: isDryRun(url) });
      return respondObject(ctx, req, res, url, def, version, created, 201);
    }
    case 'update': {
      const obj = asObject(parseStructured(await readBody(req), req.headers['content-type']));
      checkBodyIdentity(def, info, obj);
      if (sub === 'scale') return writeJson(res, 200, scaleOf(applyScale(ctx, def, ns, info.name, obj)));
      const updated = ctx.objects.update(def, obj, { dryRun: isDryRun(url), subresource: sub });
      return respondObject(ctx, req, res, url, def, version, updated);
    }
    case 'patch':
      return handlePatch(ctx, req, res, url, info, def, ns);
    case 'delete': {
      const options = await readDeleteOptions(req, url);
      const deleted = ctx.objects.delete(def, ns, info.name, options.propagationPolicy, { dryRun: isDryRun(url) });
      return respondObject(ctx, req, res, url, def, version, deleted);
    }
    case 'deletecollection': {
      const options = await readDeleteOptions(req, url);
      const victims = filterObjects(ctx.objects.list(def, ns), url);
      for (const v of victims) ctx.objects.delete(def, v.metadata.namespace, v.metadata.name!, options.propagationPolicy);
      return writeJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def.group, version), metadata: { resourceVersion: String(ctx.store.currentRv()) }, items: victims });
    }
    default:
      throw methodNotAllowed();
  }
}

async function readDeleteOptions(req: IncomingMessage, url: URL): Promise<{ propagationPolicy?: string }> {
  const body = await readBody(req);
  let policy = url.searchParams.get('propagationPolicy') ?? undefined;
  if (body.length > 0) {
    const parsed = parseStructured(body, req.headers['content-type'] ?? 'application/json') as { propagationPolicy?: string; orphanDependents?: boolean };
    policy = parsed.propagationPolicy ?? (parsed.orphanDependents ? 'Orphan' : policy);
  }
  return { propagationPolicy: policy };
}

async function handlePatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, def: ResourceDef, ns: string | undefined): Promise<void> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const body = parseStructured(await readBody(req), contentType);
  const dryRun = isDryRun(url);
  const existing = ctx.objects.find(def, ns, info.name);
  if (contentType === 'application/apply-patch+yaml') {
    const applied = asObject(body);
    checkBodyIdentity(def, info, applied);
    const manager = url.searchParams.get('fieldManager') ?? '';
    if (!existing) {
      const created = ctx.objects.create(def, structuredClone(applied), { dryRun });
      if (!dryRun) ctx.applied.remember(created, manager, info.subresource, applied);
      return respondObject(ctx, req, res, url, def, info.apiVersion, created, 201);
    }
    const merged = serverSideApply(existing, applied, ctx.applied.last(existing, manager, info.subresource)) as KubeObject;
    merged.metadata.resourceVersion = existing.metadata.resourceVersion;
    const updated = ctx.objects.update(def, merged, { dryRun, subresource: info.subresource });
    if (!dryRun) ctx.applied.remember(updated, manager, info.subresource, applied);
    return respondObject(ctx, req, res, url, def, info.apiVersion, updated);
  }
  if (!existing) throw notFound(def.group, def.plural, info.name);
  let patched: unknown;
  switch (contentType) {
    case 'application/json-patch+json':
      patched = jsonPatch(existing, body);
      break;
    case 'application/merge-patch+json':
      patched = jsonMergePatch(existing, body);
      break;
    case 'application/strategic-merge-patch+json':
      patched = strategicMergePatch(existing, body);
      break;
    default:
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }
  const obj = asObject(patched);
  if (info.subresource === 'scale') return writeJson(res, 200, scaleOf(applyScale(ctx, def, ns, info.name, obj)));
  obj.metadata.name = existing.metadata.name;
  if (def.namespaced) obj.metadata.namespace = existing.metadata.namespace;
  // A patch that does not mention resourceVersion never conflicts.
  obj.metadata.resourceVersion ??= existing.metadata.resourceVersion;
  const updated = ctx.objects.update(def, obj, { dryRun, subresource: info.subresource });
  return respondObject(ctx, req, res, url, def, info.apiVersion, updated);
}
