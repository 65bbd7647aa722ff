// Legacy (non-aggregated) discovery: /version, /api, /apis and the resource
// lists per group-version. kubectl asks for aggregated discovery first and
// falls back to these when the response is plain JSON.

import type { ResourceRegistry } from '../api/resources.js';
import { apiVersionOf } from '../api/resources.js';

export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.3' };

export function versionInfo(): unknown {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: '32cc146f75aad04beaaa245a7157eb35063a9f99',
    gitTreeState: 'clean',
    buildDate: '2025-03-11T19:52:21Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] };
}

function groupEntry(name: string, versions: string[]): unknown {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  const groups = [...registry.groups()].filter(([name]) => name !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(([name, versions]) => groupEntry(name, versions)) };
}

export function apiGroup(registry: ResourceRegistry, group: string): unknown | undefined {
  const versions = registry.groups().get(group);
  if (!versions || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...(groupEntry(group, versions) as object) };
}

export const CONNECT_VERBS: Record<string, string[]> = {
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  finalize: ['update'],
  binding: ['create'],
  eviction: ['create'],
  token: ['create'],
  ephemeralcontainers: ['get', 'patch', 'update'],
};

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): unknown | undefined {
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const d of defs) {
    const entry: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
    };
    if (d.shortNames?.length) entry.shortNames = d.shortNames;
    if (d.categories?.length) entry.categories = d.categories;
    resources.push(entry);
    for (const sub of d.subresources) {
      const kind = sub === 'scale' ? 'Scale' : sub === 'eviction' ? 'Eviction' : sub === 'token' ? 'TokenRequest' : sub === 'exec' || sub === 'attach' ? 'PodExecOptions' : sub === 'portforward' ? 'PodPortForwardOptions' : sub === 'log' ? 'Pod' : d.kind;
      const subEntry: Record<string, unknown> = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced, kind, verbs: CONNECT_VERBS[sub] ?? ['get'] };
      if (sub === 'scale') {
        subEntry.group = 'autoscaling';
        subEntry.version = 'v1';
      }
      resources.push(subEntry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}
