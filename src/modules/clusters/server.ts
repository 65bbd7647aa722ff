/**
 * Certificate-based clusters (DESIGN.md §2, §7): stored per project, group or instance,
 * their token sealed with the server's secret key and never shown again, and the one a
 * CI job deploys to chosen by environment scope (match.ts).
 */
import type { Kysely, Updateable } from 'kysely';
import type { Cluster, ClusterType, ClustersTable, Database, Namespace, Project } from '../../store/schema.js';
import { isUniqueViolation, now, transaction } from '../../store/db.js';
import { conflict, notFound } from '../../lib/errors.js';
import type { Policy } from '../identity/policy.js';
import type { ClusterUpdate, NewCluster } from './input.js';
import { INSTANCE_DEPTH, defaultNamespace, pickCluster } from './match.js';
import type { SecretBox } from './secret_box.js';
import { ManagedNamespaces, managedNamespaceName } from './managed.js';

/** Who a cluster belongs to. */
export type ClusterOwner = { kind: 'project'; project: Project } | { kind: 'group'; group: Namespace } | { kind: 'instance' };

/** What a job's kubeconfig needs to reach the cluster (the `gitlab-deploy` context). */
export interface DeployTarget {
  clusterId: number;
  apiUrl: string;
  caCert: string | null;
  token: string;
  namespace: string;
}

/** The facts about a job that choose its cluster (and, when managed, its namespace). */
export interface DeployJob {
  projectId: number;
  projectPath: string;
  namespaceId: number;
  environment: string | null;
  environmentId?: number | null;
  environmentSlug?: string | null;
}

/** A cluster Kubegate provisions itself (EKS): no API URL or token until it is created. */
export interface ProvisionedCluster {
  name: string;
  environmentScope: string;
  managed: boolean;
  providerType: 'aws';
}

/** Additional data authenticated with the sealed token: it decrypts only as a cluster token. */
const TOKEN_PURPOSE = 'kubegate:cluster:token';
/** `api_url` and `token_encrypted` of a cluster Kubegate has not finished making. */
const NOT_PROVISIONED = '';

function ownerKey(owner: ClusterOwner): string {
  if (owner.kind === 'project') return `project:${owner.project.id}`;
  if (owner.kind === 'group') return `group:${owner.group.id}`;
  return 'instance';
}

const CLUSTER_TYPE: Record<ClusterOwner['kind'], ClusterType> = { project: 'project_type', group: 'group_type', instance: 'instance_type' };

export class ClusterService {
  readonly managedNamespaces: ManagedNamespaces;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: Policy,
    private readonly secrets: SecretBox,
  ) {
    this.managedNamespaces = new ManagedNamespaces(db, secrets);
  }

  async create(owner: ClusterOwner, input: NewCluster, userId: number | null): Promise<Cluster> {
    const platform = input.platform_kubernetes_attributes;
    const environmentScope = input.environment_scope ?? '*';
    const tokenEncrypted = await this.secrets.encrypt(platform.token, TOKEN_PURPOSE);
    try {
      return await this.db
        .insertInto('clusters')
        .values({
          cluster_type: CLUSTER_TYPE[owner.kind],
          project_id: owner.kind === 'project' ? owner.project.id : null,
          group_id: owner.kind === 'group' ? owner.group.id : null,
          owner_key: ownerKey(owner),
          name: input.name,
          environment_scope: environmentScope,
          provider_type: 'user',
          api_url: platform.api_url,
          ca_cert: platform.ca_cert ?? null,
          token_encrypted: tokenEncrypted,
          namespace: platform.namespace ?? null,
          authorization_type: platform.authorization_type ?? 'rbac',
          managed: input.managed === false ? 0 : 1,
          enabled: input.enabled === false ? 0 : 1,
          created_at: now(),
          created_by_user_id: userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`Environment scope has already been taken: this ${owner.kind} already has a cluster for environment scope "${environmentScope}"; delete it or choose another scope`);
      }
      throw err;
    }
  }

  /**
   * Adds a cluster that is still to be made (EKS), together with its provider's row, in
   * one transaction. It has no API URL or token yet, so no job deploys to it until
   * `completeProvisioning` fills them in.
   */
  async createProvisioned<T>(owner: ClusterOwner, input: ProvisionedCluster, userId: number | null, addProvider: (trx: Kysely<Database>, cluster: Cluster) => Promise<T>): Promise<{ cluster: Cluster; provider: T }> {
    try {
      return await transaction(this.db, async (trx) => {
        const cluster = await trx
          .insertInto('clusters')
          .values({
            cluster_type: CLUSTER_TYPE[owner.kind],
            project_id: owner.kind === 'project' ? owner.project.id : null,
            group_id: owner.kind === 'group' ? owner.group.id : null,
            owner_key: ownerKey(owner),
            name: input.name,
            environment_scope: input.environmentScope,
            provider_type: input.providerType,
            api_url: NOT_PROVISIONED,
            ca_cert: null,
            token_encrypted: NOT_PROVISIONED,
            namespace: null,
            authorization_type: 'rbac',
            managed: input.managed ? 1 : 0,
            enabled: 1,
            created_at: now(),
            created_by_user_id: userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { cluster, provider: await addProvider(trx, cluster) };
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`Environment scope has already been taken: this ${owner.kind} already has a cluster for environment scope "${input.environmentScope}"; delete it or choose another scope`);
      }
      throw err;
    }
  }

  /** Fills in what a provisioned cluster's jobs need, once it exists. */
  async completeProvisioning(trx: Kysely<Database>, clusterId: number, platform: { apiUrl: string; caCert: string; token: string }): Promise<void> {
    await trx
      .updateTable('clusters')
      .set({ api_url: platform.apiUrl, ca_cert: platform.caCert, token_encrypted: await this.secrets.encrypt(platform.token, TOKEN_PURPOSE) })
      .where('id', '=', clusterId)
      .execute();
  }

  /** Changes what is given; a new token is sealed like the first. */
  async update(owner: ClusterOwner, clusterId: number, input: ClusterUpdate): Promise<Cluster> {
    const current = await this.find(owner, clusterId);
    const platform = input.platform_kubernetes_attributes ?? {};
    if (current.api_url === NOT_PROVISIONED && Object.keys(platform).length > 0) {
      throw conflict(`cluster ${current.id} is still being created through AWS: its API URL, CA and token are set when it is ready; change platform_kubernetes_attributes after that`);
    }
    const changes: Updateable<ClustersTable> = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.environment_scope !== undefined) changes.environment_scope = input.environment_scope;
    if (input.managed !== undefined) changes.managed = input.managed ? 1 : 0;
    if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
    if (platform.api_url !== undefined) changes.api_url = platform.api_url;
    if (platform.authorization_type !== undefined) changes.authorization_type = platform.authorization_type;
    // The schema turns "" into undefined for these two; the key's presence means "set it".
    if ('ca_cert' in platform) changes.ca_cert = platform.ca_cert ?? null;
    if ('namespace' in platform) changes.namespace = platform.namespace ?? null;
    if (platform.token !== undefined) changes.token_encrypted = await this.secrets.encrypt(platform.token, TOKEN_PURPOSE);
    if (Object.keys(changes).length === 0) return current;
    // Namespaces made in another cluster (or as no-longer-managed) are not this one's.
    if ((changes.api_url !== undefined && changes.api_url !== current.api_url) || changes.managed === 0) await this.managedNamespaces.forget(current.id);
    try {
      return await this.db.updateTable('clusters').set(changes).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`Environment scope has already been taken: this ${owner.kind} already has a cluster for environment scope "${input.environment_scope}"; delete it or choose another scope`);
      }
      throw err;
    }
  }

  list(owner: ClusterOwner): Promise<Cluster[]> {
    return this.db.selectFrom('clusters').selectAll().where('owner_key', '=', ownerKey(owner)).orderBy('id').execute();
  }

  async find(owner: ClusterOwner, clusterId: number): Promise<Cluster> {
    const cluster = await this.db.selectFrom('clusters').selectAll().where('owner_key', '=', ownerKey(owner)).where('id', '=', clusterId).executeTakeFirst();
    if (!cluster) throw notFound('Cluster');
    return cluster;
  }

  async remove(owner: ClusterOwner, clusterId: number): Promise<void> {
    const res = await this.db.deleteFrom('clusters').where('owner_key', '=', ownerKey(owner)).where('id', '=', clusterId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound('Cluster');
  }

  /** The cluster a job deploys to, with its token decrypted; null when none applies. */
  async forJob(job: DeployJob): Promise<DeployTarget | null> {
    const groupIds = (await this.policy.ancestry(job.namespaceId)).filter((ns) => ns.kind === 'group').map((ns) => ns.id);
    const rows = await this.db
      .selectFrom('clusters')
      .selectAll()
      .where((eb) => {
        const owners = [eb('project_id', '=', job.projectId), eb('cluster_type', '=', 'instance_type')];
        if (groupIds.length > 0) owners.push(eb('group_id', 'in', groupIds));
        return eb.or(owners);
      })
      .execute();
    // A cluster still being provisioned has nothing to deploy to yet.
    const scoped = rows.filter((row) => row.api_url !== NOT_PROVISIONED).map((row) => ({
      row,
      id: row.id,
      environmentScope: row.environment_scope,
      enabled: row.enabled === 1,
      depth: row.project_id !== null ? 0 : row.group_id !== null ? groupIds.indexOf(row.group_id) + 1 : INSTANCE_DEPTH,
    }));
    const chosen = pickCluster(scoped, job.environment)?.row;
    if (!chosen) return null;
    const token = await this.secrets.decrypt(chosen.token_encrypted, TOKEN_PURPOSE);
    if (chosen.managed !== 1) {
      return { clusterId: chosen.id, apiUrl: chosen.api_url, caCert: chosen.ca_cert, token, namespace: chosen.namespace ?? defaultNamespace(job.projectPath, job.projectId) };
    }
    // GitLab-managed: the job gets its own namespace and a token confined to it. A
    // project-level cluster's namespace, when set, replaces the generated name (as in GitLab).
    const namespace = chosen.cluster_type === 'project_type' && chosen.namespace ? chosen.namespace : managedNamespaceName(job.projectPath, job.projectId, job.environmentSlug ?? null);
    const managed = await this.managedNamespaces.ensure(
      { id: chosen.id, name: chosen.name, apiUrl: chosen.api_url, caCert: chosen.ca_cert, token },
      { projectId: job.projectId, environmentId: job.environmentId ?? null, namespace },
    );
    return { clusterId: chosen.id, apiUrl: chosen.api_url, caCert: chosen.ca_cert, token: managed.token, namespace: managed.namespace };
  }
}
