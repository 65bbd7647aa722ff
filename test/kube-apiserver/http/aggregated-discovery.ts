// Aggregated discovery (apidiscovery.k8s.io/v2): kubectl 1.32 asks /api and
// /apis for it first and then needs 2 requests instead of one per
// group-version. Served only when the Accept header asks for it; the
// Content-Type tells client-go which format it got.

import type { IncomingMessage } from 'node:http';
import type { ResourceDef, ResourceRegistry } from '../api/resources.js';
import { CONNECT_VERBS } from './discovery.js';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function wantsAggregated(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => part.includes('as=APIGroupDiscoveryList') && part.includes('v=v2') && !part.includes('v=v2beta1'));
}

function subresourceKind(def: ResourceDef, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  const kinds: Record<string, string> = { eviction: 'Eviction', token: 'TokenRequest', exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions', proxy: 'PodProxyOptions', binding: 'Binding' };
  return { group: def.group, version: def.version, kind: kinds[sub] ?? def.kind };
}

function resourceEntry(def: ResourceDef, version: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: def.plural,
    responseKind: { group: def.group, version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
  };
  if (def.shortNames?.length) entry.shortNames = def.shortNames;
  if (def.categories?.length) entry.categories = def.categories;
  if (def.subresources.length) {
    entry.subresources = def.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(def, sub), verbs: CONNECT_VERBS[sub] ?? ['get'] }));
  }
  return entry;
}

/** core = true → the single legacy group ("" / v1) for /api; otherwise every named group for /apis. */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): unknown {
  const items: unknown[] = [];
  for (const [group, versions] of registry.groups()) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((version) => ({
        version,
        resources: registry.inGroupVersion(group, version).map((d) => resourceEntry(d, version)),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
