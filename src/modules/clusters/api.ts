/**
 * GitLab's certificate-based clusters API, at project (`/projects/:id/clusters`), group
 * (`/groups/:id/clusters`) and instance (`/admin/clusters`) level. Maintainers manage
 * project and group clusters, administrators instance ones. The token is write-only: no
 * answer ever carries it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Cluster, Namespace, Project } from '../../store/schema.js';
import { forbidden, unauthorized } from '../../lib/errors.js';
import { intLike, parse } from '../../lib/validate.js';
import { paginate } from '../../lib/http.js';
import { ACCESS } from '../identity/access.js';
import type { IdentityService } from '../identity/server.js';
import type { ProjectService } from '../projects/server.js';
import type { GroupService } from '../groups/server.js';
import type { ClusterOwner, ClusterService } from './server.js';
import { clusterUpdate, newCluster } from './input.js';

export interface ClusterRouteDeps {
  clusters: ClusterService;
  projects: ProjectService;
  groups: GroupService;
  identity: IdentityService;
  externalUrl: () => string;
}

type Params = { Params: { id: string; cluster_id: string } };

const clusterId = z.object({ cluster_id: intLike }).passthrough();

export function registerClusterRoutes(app: FastifyInstance, deps: ClusterRouteDeps): void {
  const { clusters, projects, groups } = deps;

  // The whole clusters API needs a signed-in caller (GitLab's `authenticate!`): 401 before any lookup.
  async function projectOwner(request: FastifyRequest<{ Params: { id: string } }>): Promise<ClusterOwner & { kind: 'project' }> {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.maintainer, 'manage its Kubernetes clusters');
    return { kind: 'project', project };
  }

  async function groupOwner(request: FastifyRequest<{ Params: { id: string } }>): Promise<ClusterOwner & { kind: 'group' }> {
    if (!request.actor.user) throw unauthorized();
    const group = await groups.findVisible(request.actor, request.params.id);
    await groups.requireAccess(request.actor, group, ACCESS.maintainer, 'manage its Kubernetes clusters (Maintainer or Owner)');
    return { kind: 'group', group };
  }

  function instanceOwner(request: FastifyRequest): ClusterOwner & { kind: 'instance' } {
    if (!request.actor.user) throw unauthorized();
    if (!request.actor.user.admin) throw forbidden('403 Forbidden: only administrators manage instance-level clusters');
    return { kind: 'instance' };
  }

  async function render(cluster: Cluster, owner: ClusterOwner) {
    const user = cluster.created_by_user_id === null ? undefined : await deps.identity.findUser(cluster.created_by_user_id);
    return clusterJson(cluster, owner, user ? { id: user.id, name: user.name, username: user.username, state: user.state } : null, deps.externalUrl());
  }

  function routes(prefix: string, addPath: string, ownerOf: (request: FastifyRequest<Params>) => Promise<ClusterOwner> | ClusterOwner) {
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

  routes('/api/v4/projects/:id/clusters', 'user', projectOwner);
  routes('/api/v4/groups/:id/clusters', 'user', groupOwner);
  routes('/api/v4/admin/clusters', 'add', instanceOwner);
}

/** GitLab's cluster shape, without the token. */
export function clusterJson(cluster: Cluster, owner: ClusterOwner, user: { id: number; name: string; username: string; state: string } | null, externalUrl: string) {
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
      api_url: cluster.api_url,
      namespace: cluster.namespace,
      authorization_type: cluster.authorization_type,
      ca_cert: cluster.ca_cert,
    },
    provider_gcp: null,
    management_project: null,
    ...ownerJson(owner, externalUrl),
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
