/**
 * GitLab's certificate-based clusters API, at project (`/projects/:id/clusters`), group
 * (`/groups/:id/clusters`) and instance (`/admin/clusters`) level. Maintainers manage
 * project and group clusters, administrators instance ones. The token is write-only: no
 * answer ever carries it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Cluster, ClusterProviderAws, Namespace, Project } from '../../store/schema.js';
import { intLike, parse } from '../../lib/validate.js';
import { paginate } from '../../lib/http.js';
import type { IdentityService } from '../identity/server.js';
import type { ProjectService } from '../projects/server.js';
import type { GroupService } from '../groups/server.js';
import type { ClusterOwner, ClusterService } from './server.js';
import { clusterUpdate, newCluster } from './input.js';
import { ownerPrefixes, ownerResolvers, type OwnerResolver } from './owners.js';

export interface ClusterRouteDeps {
  clusters: ClusterService;
  projects: ProjectService;
  groups: GroupService;
  identity: IdentityService;
  externalUrl: () => string;
  /** The AWS provider row of an EKS cluster, for `provider_aws`. */
  providerAws?: (clusterId: number) => Promise<ClusterProviderAws | undefined>;
}

type Params = { Params: { id: string; cluster_id: string } };

const clusterId = z.object({ cluster_id: intLike }).passthrough();

export function registerClusterRoutes(app: FastifyInstance, deps: ClusterRouteDeps): void {
  const { clusters } = deps;

  const render = clusterRenderer(deps);

  function routes(prefix: string, addPath: string, ownerOf: OwnerResolver) {
    app.post<Params>(`${prefix}/${addPath}`, async function addCluster(request, reply) {
      const owner = await ownerOf(request);
      const body = parse(newCluster, request.body);
      const cluster = await clusters.create(owner, body, request.actor.user?.id ?? null);
      request.log.info({ clusterId: cluster.id, type: cluster.cluster_type, environmentScope: cluster.environment_scope }, 'certificate-based cluster added');
      return reply.status(201).send(await render(cluster, owner));
    });
    app.get<Params>(prefix, async function listClusters(request, reply) {
      const owner = await ownerOf(request);
      const page = paginate(reply, request.query, await clusters.list(owner));
      return Promise.all(page.map((c) => render(c, owner)));
    });
    app.get<Params>(`${prefix}/:cluster_id`, async function getCluster(request) {
      const owner = await ownerOf(request);
      const { cluster_id: id } = parse(clusterId, request.params);
      return render(await clusters.find(owner, id), owner);
    });
    app.put<Params>(`${prefix}/:cluster_id`, async function updateCluster(request) {
      const owner = await ownerOf(request);
      const { cluster_id: id } = parse(clusterId, request.params);
      const body = parse(clusterUpdate, request.body);
      const cluster = await clusters.update(owner, id, body);
      request.log.info({ clusterId: id, fields: Object.keys(body) }, 'certificate-based cluster updated');
      return render(cluster, owner);
    });
    app.delete<Params>(`${prefix}/:cluster_id`, async function deleteCluster(request, reply) {
      const owner = await ownerOf(request);
      const { cluster_id: id } = parse(clusterId, request.params);
      await clusters.remove(owner, id);
      request.log.info({ clusterId: id }, 'certificate-based cluster deleted');
      return reply.status(204).send();
    });
  }

  for (const { prefix, addPath, ownerOf } of ownerPrefixes(ownerResolvers(deps))) routes(prefix, addPath, ownerOf);
}

/** Renders a cluster as the API answers it (the EKS routes use it too). */
export function clusterRenderer(deps: Pick<ClusterRouteDeps, 'identity' | 'externalUrl' | 'providerAws'>) {
  return async function renderCluster(cluster: Cluster, owner: ClusterOwner) {
    const user = cluster.created_by_user_id === null ? undefined : await deps.identity.findUser(cluster.created_by_user_id);
    const provider = cluster.provider_type === 'aws' ? await deps.providerAws?.(cluster.id) : undefined;
    return clusterJson(cluster, owner, user ? { id: user.id, name: user.name, username: user.username, state: user.state } : null, deps.externalUrl(), provider);
  };
}

/**
 * GitLab's cluster shape, without the token. `provider_aws` (a Kubegate extension, like
 * GitLab's `provider_gcp`) shows an EKS cluster's form values and provisioning state,
 * including the stack to delete when creation failed.
 */
export function clusterJson(cluster: Cluster, owner: ClusterOwner, user: { id: number; name: string; username: string; state: string } | null, externalUrl: string, provider?: ClusterProviderAws) {
  return {
    id: cluster.id,
    name: cluster.name,
    domain: null,
    created_at: cluster.created_at,
    managed: cluster.managed === 1,
    enabled: cluster.enabled === 1,
    provider_type: cluster.provider_type,
    platform_type: 'kubernetes',
    environment_scope: cluster.environment_scope,
    cluster_type: cluster.cluster_type,
    user,
    platform_kubernetes: {
      // An EKS cluster has no API URL until it is created.
      api_url: cluster.api_url || null,
      namespace: cluster.namespace,
      authorization_type: cluster.authorization_type,
      ca_cert: cluster.ca_cert,
    },
    provider_gcp: null,
    provider_aws: provider ? providerAwsJson(provider) : null,
    management_project: null,
    ...ownerJson(owner, externalUrl),
  };
}

function providerAwsJson(p: ClusterProviderAws) {
  return {
    status_name: p.status,
    status_reason: p.status_reason,
    region: p.region,
    role_arn: p.service_role_arn,
    provision_role_arn: p.role_arn,
    kubernetes_version: p.kubernetes_version,
    key_name: p.key_name,
    vpc_id: p.vpc_id,
    subnet_ids: JSON.parse(p.subnet_ids) as string[],
    security_group_id: p.security_group_id,
    instance_type: p.instance_type,
    num_nodes: p.num_nodes,
    cluster_name: p.cluster_name,
    stack_name: p.stack_name,
    stack_id: p.stack_id,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

function ownerJson(owner: ClusterOwner, externalUrl: string): { project?: unknown; group?: unknown } {
  if (owner.kind === 'project') return { project: projectRef(owner.project, externalUrl) };
  if (owner.kind === 'group') return { group: groupRef(owner.group, externalUrl) };
  return {};
}

function projectRef(p: Project, externalUrl: string) {
  return { id: p.id, name: p.name, path: p.path, path_with_namespace: p.full_path, web_url: `${externalUrl}/${p.full_path}` };
}

function groupRef(g: Namespace, externalUrl: string) {
  return { id: g.id, name: g.name, full_path: g.full_path, web_url: `${externalUrl}/groups/${g.full_path}` };
}
