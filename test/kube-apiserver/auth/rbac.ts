// RBAC evaluation over the Role/ClusterRole/RoleBinding/ClusterRoleBinding
// objects in the store, re-read on every request so a test's `kubectl apply`
// of a binding takes effect at once. Mirrors the rules of the real RBAC
// authorizer: union of allow rules, no deny, `*` wildcards, `*/sub`
// subresource wildcards, resourceNames, nonResourceURLs with trailing `*`.

import { ApiError, qualifiedResource } from '../api/status.js';
import { matchesLabelSelectorObject } from '../api/selectors.js';
import type { ObjectStore } from '../api/store.js';
import type { KubeObject, UserInfo } from '../api/types.js';

export interface Attributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

const RBAC_ROLES = 'rbac.authorization.k8s.io/roles';
const RBAC_CLUSTER_ROLES = 'rbac.authorization.k8s.io/clusterroles';
const RBAC_ROLE_BINDINGS = 'rbac.authorization.k8s.io/rolebindings';
const RBAC_CLUSTER_ROLE_BINDINGS = 'rbac.authorization.k8s.io/clusterrolebindings';

export class RbacAuthorizer {
  constructor(private readonly store: ObjectStore) {}

  authorize(attrs: Attributes): boolean {
    if (attrs.user.groups.includes('system:masters')) return true;
    return this.rulesFor(attrs.user, attrs.namespace).some((rule) => ruleAllows(rule, attrs));
  }

  /** All rules that apply to the user in a namespace ('' = cluster-wide only), for SelfSubjectRulesReview too. */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const binding of this.store.list(RBAC_CLUSTER_ROLE_BINDINGS)) {
      if (bindingAppliesTo(binding, user)) rules.push(...this.roleRules(binding, undefined));
    }
    if (namespace) {
      for (const binding of this.store.list(RBAC_ROLE_BINDINGS, namespace)) {
        if (bindingAppliesTo(binding, user)) rules.push(...this.roleRules(binding, namespace));
      }
    }
    return rules;
  }

  private roleRules(binding: KubeObject, namespace: string | undefined): PolicyRule[] {
    const ref = binding.roleRef as { kind?: string; name?: string } | undefined;
    if (!ref?.name) return [];
    if (ref.kind === 'Role') {
      if (!namespace) return [];
      return (this.store.get(RBAC_ROLES, namespace, ref.name)?.rules as PolicyRule[] | undefined) ?? [];
    }
    return this.clusterRoleRules(ref.name, new Set());
  }

  private clusterRoleRules(name: string, seen: Set<string>): PolicyRule[] {
    if (seen.has(name)) return [];
    seen.add(name);
    const role = this.store.get(RBAC_CLUSTER_ROLES, undefined, name);
    if (!role) return [];
    const rules = [...((role.rules as PolicyRule[] | undefined) ?? [])];
    const aggregation = role.aggregationRule as { clusterRoleSelectors?: Parameters<typeof matchesLabelSelectorObject>[0][] } | undefined;
    // The real aggregation controller copies rules into the role; evaluating the union on read gives the same answer.
    for (const selector of aggregation?.clusterRoleSelectors ?? []) {
      for (const other of this.store.list(RBAC_CLUSTER_ROLES)) {
        if (other.metadata.name !== name && matchesLabelSelectorObject(selector, other.metadata.labels)) {
          rules.push(...this.clusterRoleRules(other.metadata.name!, seen));
        }
      }
    }
    return rules;
  }
}

function bindingAppliesTo(binding: KubeObject, user: UserInfo): boolean {
  const subjects = (binding.subjects as Subject[] | undefined) ?? [];
  return subjects.some((s) => {
    switch (s.kind) {
      case 'User':
        return s.name === user.username;
      case 'Group':
        return user.groups.includes(s.name);
      case 'ServiceAccount':
        return user.username === `system:serviceaccount:${s.namespace ?? binding.metadata.namespace ?? ''}:${s.name}`;
      default:
        return false;
    }
  });
}

function has(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.isResourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === attrs.path || (u.endsWith('*') && attrs.path.startsWith(u.slice(0, -1))));
  }
  if (!rule.resources) return false;
  if (!has(rule.apiGroups, attrs.apiGroup)) return false;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resourceOk = rule.resources.some(
    (r) => r === '*' || r === combined || (attrs.subresource !== '' && r === `*/${attrs.subresource}`),
  );
  if (!resourceOk) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return rule.resourceNames.includes(attrs.name);
  return true;
}

/** The exact wording of the real server's 403, e.g. `pods is forbidden: User "x" cannot list resource "pods" ...`. */
export function forbiddenError(attrs: Attributes): ApiError {
  const who = `User "${attrs.user.username}"`;
  if (!attrs.isResourceRequest) {
    return new ApiError(403, 'Forbidden', `forbidden: ${who} cannot ${attrs.verb} path "${attrs.path}"`, {});
  }
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const reason = `${who} cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}`;
  const qr = qualifiedResource(attrs.apiGroup, attrs.resource);
  const message = attrs.name ? `${qr} "${attrs.name}" is forbidden: ${reason}` : `${qr} is forbidden: ${reason}`;
  const details: { name?: string; group: string; kind: string } = { group: attrs.apiGroup, kind: attrs.resource };
  if (attrs.name) details.name = attrs.name;
  return new ApiError(403, 'Forbidden', message, details);
}
