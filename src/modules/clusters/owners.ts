/**
 * Who may manage the clusters of a project, group or the instance, resolved from a
 * request: Maintainers of projects and groups, administrators for the instance. Every
 * clusters route (GitLab's and the EKS extension) needs a signed-in caller: 401 before
 * any lookup, like GitLab's `authenticate!`.
 */
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../lib/errors.js';
import { ACCESS } from '../identity/access.js';
import type { ProjectService } from '../projects/server.js';
import type { GroupService } from '../groups/server.js';
import type { ClusterOwner } from './server.js';

export type OwnerResolver = (request: FastifyRequest<{ Params: { id?: string } }>) => Promise<ClusterOwner> | ClusterOwner;

export interface Owners {
  project: OwnerResolver;
  group: OwnerResolver;
  instance: OwnerResolver;
}

export function ownerResolvers(deps: { projects: ProjectService; groups: GroupService }): Owners {
  return {
    async project(request) {
      if (!request.actor.user) throw unauthorized();
      const project = await deps.projects.findVisible(request.actor, request.params.id ?? '');
      await deps.projects.requireAccess(request.actor, project, ACCESS.maintainer, 'manage its Kubernetes clusters');
      return { kind: 'project', project };
    },
    async group(request) {
      if (!request.actor.user) throw unauthorized();
      const group = await deps.groups.findVisible(request.actor, request.params.id ?? '');
      await deps.groups.requireAccess(request.actor, group, ACCESS.maintainer, 'manage its Kubernetes clusters (Maintainer or Owner)');
      return { kind: 'group', group };
    },
    instance(request) {
      if (!request.actor.user) throw unauthorized();
      if (!request.actor.user.admin) throw forbidden('403 Forbidden: only administrators manage instance-level clusters');
      return { kind: 'instance' };
    },
  };
}

/** The three places clusters live, with their route prefixes (GitLab's paths). */
export function ownerPrefixes(owners: Owners): Array<{ prefix: string; addPath: string; ownerOf: OwnerResolver }> {
  return [
    { prefix: '/api/v4/projects/:id/clusters', addPath: 'user', ownerOf: owners.project },
    { prefix: '/api/v4/groups/:id/clusters', addPath: 'user', ownerOf: owners.group },
    { prefix: '/api/v4/admin/clusters', addPath: 'add', ownerOf: owners.instance },
  ];
}
