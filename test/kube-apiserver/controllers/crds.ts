// Serves custom resources: a stored CustomResourceDefinition registers its
// resource in the registry (discovery, routing, OpenAPI follow), deleting it
// unregisters it and deletes its objects — the apiextensions-apiserver's job.

import { defineResource, storageKey, type ResourceRegistry } from '../api/resources.js';
import type { ObjectStore, StoreEvent } from '../api/store.js';
import type { KubeObject } from '../api/types.js';

const CRDS = 'apiextensions.k8s.io/customresourcedefinitions';

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[]; listKind?: string };
  versions: { name: string; served?: boolean; storage?: boolean; subresources?: { status?: unknown; scale?: unknown } }[];
}

export function registerCrd(registry: ResourceRegistry, crd: KubeObject): void {
  const spec = crd.spec as CrdSpec;
  const served = spec.versions.filter((v) => v.served !== false);
  if (served.length === 0) return;
  // Storage version first: it is the version objects are stored and presented in by default.
  served.sort((a, b) => Number(b.storage ?? false) - Number(a.storage ?? false));
  const subresources: string[] = [];
  if (served.some((v) => v.subresources?.status)) subresources.push('status');
  if (served.some((v) => v.subresources?.scale)) subresources.push('scale');
  const def = defineResource({
    group: spec.group,
    versions: served.map((v) => v.name),
    kind: spec.names.kind,
    plural: spec.names.plural,
    namespaced: spec.scope !== 'Cluster',
    shortNames: spec.names.shortNames,
    categories: spec.names.categories,
    subresources,
  });
  if (spec.names.singular) def.singular = spec.names.singular;
  registry.add(def);
}

export function startCrdController(store: ObjectStore, registry: ResourceRegistry): () => void {
  for (const crd of store.list(CRDS)) registerCrd(registry, crd);
  return store.subscribe(function crdController(event: StoreEvent) {
    if (event.key !== CRDS) return;
    const spec = event.object.spec as CrdSpec;
    if (event.type === 'DELETED') {
      const key = storageKey({ group: spec.group, plural: spec.names.plural });
      for (const obj of store.list(key)) store.delete(key, obj.metadata.namespace, obj.metadata.name!);
      registry.remove(spec.group, spec.names.plural);
    } else {
      registerCrd(registry, event.object);
    }
  });
}

function crd(group: string, kind: string, plural: string, versions: string[], shortNames: string[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'flux' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames, categories: ['flux'] },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  };
}

/** The Flux CRDs Kubegate's GitOps module works with, as `flux install` would create them. */
export function fluxCrds(): KubeObject[] {
  return [
    crd('source.toolkit.fluxcd.io', 'GitRepository', 'gitrepositories', ['v1', 'v1beta2'], ['gitrepo']),
    crd('notification.toolkit.fluxcd.io', 'Receiver', 'receivers', ['v1', 'v1beta2'], []),
  ];
}
