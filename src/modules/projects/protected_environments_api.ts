/**
 * `GET/POST /projects/:id/protected_environments`, `GET/DELETE …/:name`: GitLab's
 * Protected environments API. Like GitLab, every endpoint needs the Maintainer role.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KubegateError, unauthorized } from '../../lib/errors.js';
import { paginate } from '../../lib/http.js';
import { idLike, intLike, parse } from '../../lib/validate.js';
import { ACCESS } from '../identity/access.js';
import type { ProjectService } from './server.js';
import { protectedEnvironmentJson, type ProtectedEnvironmentService } from './protected_environments.js';

const deployAccessLevel = z.object({
  access_level: intLike.optional(),
  user_id: idLike.optional(),
  group_id: idLike.optional(),
  group_inheritance_type: intLike.optional(),
});

const newProtectedEnvironment = z.object({
  name: z.string(),
  deploy_access_levels: z.array(deployAccessLevel),
  required_approval_count: intLike.optional(),
  approval_rules: z.array(z.unknown()).optional(),
});

export interface ProtectedEnvironmentRouteDeps {
  projects: ProjectService;
  protectedEnvironments: ProtectedEnvironmentService;
}

type WithName = { Params: { id: string; name: string } };

export function registerProtectedEnvironmentRoutes(app: FastifyInstance, deps: ProtectedEnvironmentRouteDeps): void {
  const { projects, protectedEnvironments } = deps;

  async function maintainedProject(request: { actor: Parameters<ProjectService['findVisible']>[0] }, id: string, action: string) {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, id);
    await projects.requireAccess(request.actor, project, ACCESS.maintainer, action);
    return project;
  }

  app.get<{ Params: { id: string } }>('/api/v4/projects/:id/protected_environments', async function listProtectedEnvironments(request, reply) {
    const project = await maintainedProject(request, request.params.id, 'list protected environments');
    return paginate(reply, request.query, await protectedEnvironments.list(project.id)).map(protectedEnvironmentJson);
  });

  app.get<WithName>('/api/v4/projects/:id/protected_environments/:name', async function getProtectedEnvironment(request) {
    const project = await maintainedProject(request, request.params.id, 'read protected environments');
    return protectedEnvironmentJson(await protectedEnvironments.find(project.id, request.params.name));
  });

  app.post<{ Params: { id: string } }>('/api/v4/projects/:id/protected_environments', async function protectEnvironment(request, reply) {
    const project = await maintainedProject(request, request.params.id, 'protect environments');
    const body = parse(newProtectedEnvironment, request.body);
    // Deployment approvals do not exist here; a rule that asks for them must not look accepted.
    if ((body.required_approval_count ?? 0) > 0 || (body.approval_rules?.length ?? 0) > 0) {
      throw new KubegateError('unprocessable', 'Kubegate has no deployment approvals: leave out required_approval_count and approval_rules');
    }
    const created = await protectedEnvironments.protect(request.actor, project, body);
    return reply.status(201).send(protectedEnvironmentJson(created));
  });

  app.delete<WithName>('/api/v4/projects/:id/protected_environments/:name', async function unprotectEnvironment(request, reply) {
    const project = await maintainedProject(request, request.params.id, 'unprotect environments');
    await protectedEnvironments.unprotect(request.actor, project, request.params.name);
    return reply.status(204).send();
  });
}
