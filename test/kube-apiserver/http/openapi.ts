// A minimal OpenAPI v3 index and per-group-version documents. kubectl apply
// reads them to learn that the server validates fields itself
// (`fieldValidation` on PATCH), so it skips client-side validation and never
// needs the protobuf OpenAPI v2 document. PATCH bodies advertise json-patch,
// merge-patch and apply-patch but not strategic-merge-patch: kubectl then
// computes strategic patches from its compiled-in types (built-in kinds) or
// merge patches (custom resources), which is what we implement.

import { createHash } from 'node:crypto';
import type { ResourceDef, ResourceRegistry } from '../api/resources.js';
import { KUBE_VERSION } from './discovery.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiV3Root(registry: ResourceRegistry): unknown {
  const paths: Record<string, unknown> = {};
  for (const [group, versions] of registry.groups()) {
    for (const version of versions) {
      const path = gvPath(group, version);
      const hash = createHash('sha256').update(JSON.stringify(openApiV3GroupVersion(registry, group, version))).digest('hex').slice(0, 32).toUpperCase();
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
    }
  }
  return { paths };
}

const PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  description: name,
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function operation(def: ResourceDef, version: string, action: string, body: boolean): unknown {
  const schema = { type: 'object' };
  const op: Record<string, unknown> = {
    operationId: `${action}${def.kind}`,
    parameters: PARAMS,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version, kind: def.kind },
  };
  if (body) {
    const types = action === 'patch' ? ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'] : ['application/json'];
    op.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema }])), required: true };
  }
  return op;
}

export function openApiV3GroupVersion(registry: ResourceRegistry, group: string, version: string): unknown | undefined {
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const base = `/${gvPath(group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    paths[base] = { get: operation(def, version, 'list', false), post: operation(def, version, 'post', true) };
    paths[`${base}/{name}`] = {
      get: operation(def, version, 'get', false),
      put: operation(def, version, 'put', true),
      patch: operation(def, version, 'patch', true),
      delete: operation(def, version, 'delete', false),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}
