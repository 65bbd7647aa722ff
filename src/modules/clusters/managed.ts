/**
 * GitLab-managed clusters (`managed: true`): per project and environment, Kubegate makes
 * a namespace `<project path>-<project id>-<environment slug>`, a service account in it
 * and a RoleBinding to the `admin` ClusterRole, through the cluster's API with the
 * cluster's own token, the first time a job needs them. The job then deploys with that
 * service account's token, confined to its namespace. The names are GitLab's, so that
 * clusters moved from GitLab keep their namespaces.
 *
 * What was made is remembered (the token sealed) and reused; `forget` drops it, like
 * GitLab's "Clear cluster cache", so the next job makes it again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { isUniqueViolation, now } from '../../store/db.js';
import type { SecretBox } from './secret_box.js';
import { kubeFailure, withKubeClient, type KubeClient, type KubeTarget } from './kube_client.js';
import { sanitizeNamespace } from './match.js';

/** Additional data authenticated with a sealed namespace token. */
const NAMESPACE_TOKEN_PURPOSE = 'kubegate:cluster:namespace_token';
/** The ClusterRole the namespace's service account is bound to (GitLab's choice). */
export const MANAGED_NAMESPACE_ROLE = 'admin';
const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'kubegate' };

/** GitLab's `<project path>-<project id>-<environment slug>`, a valid namespace name. */
export function managedNamespaceName(projectPath: string, projectId: number, environmentSlug: string | null): string {
  return sanitizeNamespace(environmentSlug ? `${projectPath}-${projectId}-${environmentSlug}` : `${projectPath}-${projectId}`);
}

export const serviceAccountName = (namespace: string) => `${namespace}-service-account`;
export const tokenSecretName = (namespace: string) => `${namespace}-token`;
export const roleBindingName = (namespace: string) => `gitlab-${namespace}`;

export interface ManagedCluster extends KubeTarget {
  id: number;
  name: string;
}

export interface ManagedScope {
  projectId: number;
  environmentId: number | null;
  namespace: string;
}

export interface ManagedNamespace {
  namespace: string;
  token: string;
}

export class ManagedNamespaces {
  /** One preparation per cluster and scope at a time in this process. */
  private readonly inFlight = new Map<string, Promise<ManagedNamespace>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
  ) {}

  /** The namespace and token for the scope, made in the cluster the first time. */
  ensure(cluster: ManagedCluster, scope: ManagedScope): Promise<ManagedNamespace> {
    const key = `${cluster.id}/${scopeKey(scope)}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.lookupOrCreate(cluster, scope).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Forgets what was made for a cluster (its objects stay in the cluster). */
  async forget(clusterId: number): Promise<number> {
    const res = await this.db.deleteFrom('cluster_kubernetes_namespaces').where('cluster_id', '=', clusterId).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  private async lookupOrCreate(cluster: ManagedCluster, scope: ManagedScope): Promise<ManagedNamespace> {
    const known = await this.find(cluster.id, scope);
    if (known) return known;
    let token: string;
    try {
      token = await withKubeClient(cluster, (kube) => createNamespaceObjects(kube, scope.namespace));
    } catch (err) {
      throw kubeFailure(
        `Kubegate could not prepare the GitLab-managed namespace "${scope.namespace}" in cluster "${cluster.name}" (id ${cluster.id})`,
        err,
        "the cluster's token needs rights to create namespaces, service accounts, secrets and role bindings (cluster-admin); or set managed to false and prepare the namespace yourself",
      );
    }
    try {
      await this.db
        .insertInto('cluster_kubernetes_namespaces')
        .values({
          cluster_id: cluster.id,
          project_id: scope.projectId,
          environment_id: scope.environmentId,
          scope_key: scopeKey(scope),
          namespace: scope.namespace,
          service_account_name: serviceAccountName(scope.namespace),
          token_encrypted: await this.secrets.encrypt(token, NAMESPACE_TOKEN_PURPOSE),
          created_at: now(),
        })
        .execute();
    } catch (err) {
      // Another replica prepared the same scope meanwhile: both made the same objects.
      if (!isUniqueViolation(err)) throw err;
    }
    return (await this.find(cluster.id, scope)) ?? { namespace: scope.namespace, token };
  }

  private async find(clusterId: number, scope: ManagedScope): Promise<ManagedNamespace | undefined> {
    const row = await this.db
      .selectFrom('cluster_kubernetes_namespaces')
      .select(['namespace', 'token_encrypted'])
      .where('cluster_id', '=', clusterId)
      .where('scope_key', '=', scopeKey(scope))
      .executeTakeFirst();
    // A namespace override changed since: make the new one.
    if (!row || row.namespace !== scope.namespace) {
      if (row) await this.db.deleteFrom('cluster_kubernetes_namespaces').where('cluster_id', '=', clusterId).where('scope_key', '=', scopeKey(scope)).execute();
      return undefined;
    }
    return { namespace: row.namespace, token: await this.secrets.decrypt(row.token_encrypted, NAMESPACE_TOKEN_PURPOSE) };
  }
}

function scopeKey(scope: ManagedScope): string {
  return `${scope.projectId}:${scope.environmentId ?? '-'}`;
}

/** Namespace, service account, its token Secret and the admin RoleBinding; existing ones are kept. */
async function createNamespaceObjects(kube: KubeClient, namespace: string): Promise<string> {
  const sa = serviceAccountName(namespace);
  await kube.ensure('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: MANAGED_BY_LABEL } });
  await kube.ensure(`/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace, labels: MANAGED_BY_LABEL } });
  await kube.ensure(`/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name: tokenSecretName(namespace), namespace, labels: MANAGED_BY_LABEL, annotations: { 'kubernetes.io/service-account.name': sa } },
  });
  await kube.ensure(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: roleBindingName(namespace), namespace, labels: MANAGED_BY_LABEL },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: MANAGED_NAMESPACE_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
  });
  return kube.secretToken(namespace, tokenSecretName(namespace));
}
