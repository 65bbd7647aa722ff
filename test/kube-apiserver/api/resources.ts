// The resource registry: which group/version/resource exists, its kind,
// scope, verbs and subresources. Discovery, routing, RBAC messages and
// storage all read from here. Custom resources are added when a
// CustomResourceDefinition is stored (see controllers/crds.ts).

export interface ResourceDef {
  group: string;
  version: string;
  /** Versions sharing one storage bucket; the first is the storage version. */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** e.g. `status`, `log`, `exec`. */
  subresources: string[];
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: string[];
}

export function defineResource(spec: Spec): ResourceDef {
  return {
    group: spec.group,
    version: spec.versions[0]!,
    versions: spec.versions,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: spec.shortNames,
    categories: spec.categories,
    verbs: spec.verbs ?? ALL_VERBS,
    subresources: spec.subresources ?? [],
  };
}

const BUILTIN: Spec[] = [
  { group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'] },
  { group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'exec', 'attach', 'portforward', 'proxy', 'binding', 'eviction', 'ephemeralcontainers'] },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'] },
  { group: '', versions: ['v1'], kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'], subresources: ['token'] },
  { group: '', versions: ['v1'], kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', versions: ['v1'], kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] },
  { group: '', versions: ['v1'], kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  { group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'] },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], subresources: ['status'] },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'Role', plural: 'roles', namespaced: true },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] },
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: ['create'] },
  { group: 'apiextensions.k8s.io', versions: ['v1'], kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'] },
];

/** Review kinds are "virtual": created, answered, never stored. */
export const VIRTUAL_KINDS = new Set(['SelfSubjectReview', 'TokenReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview']);

export class ResourceRegistry {
  private readonly defs: ResourceDef[] = [];

  constructor() {
    for (const spec of BUILTIN) this.add(defineResource(spec));
  }

  add(def: ResourceDef): void {
    this.remove(def.group, def.plural);
    this.defs.push(def);
  }

  remove(group: string, plural: string): void {
    const i = this.defs.findIndex((d) => d.group === group && d.plural === plural);
    if (i >= 0) this.defs.splice(i, 1);
  }

  all(): readonly ResourceDef[] {
    return this.defs;
  }

  byResource(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.plural === plural && d.versions.includes(version));
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.defs.find((d) => d.group === group && d.kind === kind && d.versions.includes(version));
  }

  /** Group → versions, in registration order, for `/apis`. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const d of this.defs) {
      const versions = groups.get(d.group) ?? [];
      for (const v of d.versions) if (!versions.includes(v)) versions.push(v);
      groups.set(d.group, versions);
    }
    return groups;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.defs.filter((d) => d.group === group && d.versions.includes(version));
  }
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Storage buckets are keyed by group and resource so every served version shares one set of objects. */
export function storageKey(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return `${def.group}/${def.plural}`;
}
