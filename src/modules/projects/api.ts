import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Environment, Project, ProtectedBranch } from '../../store/schema.js';
import { booleanLike, freeText, idLike, intLike, parse } from '../../lib/validate.js';
import { paginate } from '../../lib/http.js';
import { badRequest, notFound, unauthorized } from '../../lib/errors.js';
import { nameWithNamespace, type NamespaceWithName, type ProjectService } from './server.js';
import type { GroupService } from '../groups/server.js';
import type { MemberService } from '../identity/members.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import { VISIBILITIES } from '../groups/visibility.js';
import { memberJson, newMember } from '../groups/api.js';
import { TIERS } from './environments.js';
import { accessLevelDescription } from './protected_branches.js';

const newProject = z.object({
  name: z.string().optional(),
  path: z.string().optional(),
  namespace_id: idLike.optional(),
  default_branch: z.string().optional(),
  visibility: z.enum(VISIBILITIES as ['private', 'internal', 'public']).optional(),
  description: freeText(2000).optional(),
});

const newEnvironment = z.object({
  name: z.string(),
  tier: z.enum(TIERS as ['production', 'staging', 'testing', 'development', 'other']).optional(),
  external_url: z.string().optional(),
});

export function projectJson(project: Project, { namespace, fullName }: NamespaceWithName, externalUrl: string) {
  return {
    id: project.id,
    name: project.name,
    name_with_namespace: nameWithNamespace(project, fullName),
    path: project.path,
    path_with_namespace: project.full_path,
    description: project.description,
    default_branch: project.default_branch,
    visibility: project.visibility,
    namespace: { id: namespace.id, name: namespace.name, path: namespace.path, kind: namespace.kind, full_path: namespace.full_path, parent_id: namespace.parent_id },
    http_url_to_repo: `${externalUrl}/${project.full_path}.git`,
    web_url: `${externalUrl}/${project.full_path}`,
    creator_id: project.creator_id,
    created_at: project.created_at,
  };
}

/** GitLab's shape: one role entry per list (Kubegate has no per-user or per-group entries). */
export function protectedBranchJson(b: ProtectedBranch) {
  const entry = (level: number) => [{ id: b.id, access_level: level, access_level_description: accessLevelDescription(level), user_id: null, group_id: null, deploy_key_id: null }];
  return {
    id: b.id,
    name: b.name,
    push_access_levels: entry(b.push_access_level),
    merge_access_levels: entry(b.merge_access_level),
    unprotect_access_levels: entry(ACCESS.maintainer),
    allow_force_push: false,
    code_owner_approval_required: false,
  };
}

const newProtectedBranch = z.object({
  name: z.string(),
  push_access_level: intLike.optional(),
  merge_access_level: intLike.optional(),
  allow_force_push: booleanLike.optional(),
});

export function environmentJson(e: Environment) {
  return { id: e.id, name: e.name, slug: e.slug, tier: e.tier, external_url: null, state: 'available', created_at: e.created_at };
}

export interface ProjectRouteDeps {
  projects: ProjectService;
  members: MemberService;
  policy: Policy;
  groups: GroupService;
  /** The external URL, read per request (it is only known once the server listens). */
  externalUrl: () => string;
}

type WithId = { Params: { id: string } };

export function registerProjectRoutes(app: FastifyInstance, deps: ProjectRouteDeps): void {
  const { projects, members, policy, externalUrl } = deps;
  /** Renders a page of projects; their namespaces and full names take two queries for the whole page. */
  const renderAll = async (list: readonly Project[]) => {
    const namespaces = await projects.namespacesOf(list);
    return list.map((p) => projectJson(p, namespaces.get(p.namespace_id)!, externalUrl()));
  };
  const render = async (p: Project) => (await renderAll([p]))[0]!;

  app.post('/api/v4/projects', async function createProject(request, reply) {
    const body = parse(newProject, request.body);
    const project = await projects.create(request.actor, body);
    return reply.status(201).send(await render(project));
  });

  app.get('/api/v4/projects', async function listProjects(request, reply) {
    const page = paginate(reply, request.query, await projects.listVisible(request.actor));
    return renderAll(page);
  });

  app.get<WithId>('/api/v4/projects/:id', async function getProject(request) {
    return render(await projects.findVisible(request.actor, request.params.id));
  });

  app.get<WithId>('/api/v4/groups/:id/projects', async function listGroupProjects(request, reply) {
    const group = await deps.groups.findVisible(request.actor, request.params.id);
    const inGroup = await projects.listVisible(request.actor, { namespaceId: group.id });
    return renderAll(paginate(reply, request.query, inGroup));
  });

  app.post<WithId>('/api/v4/projects/:id/members', async function addProjectMember(request, reply) {
    // Writes need a signed-in caller: 401 before any lookup, as GitLab's authenticate!.
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    const body = parse(newMember, request.body);
    const level = await policy.projectAccess(request.actor.user, project);
    const source = { kind: 'project' as const, id: project.id, fullPath: project.full_path };
    await members.add(level, source, body.user_id, body.access_level);
    const added = (await members.list(source)).find((m) => m.id === body.user_id)!;
    return reply.status(201).send(memberJson(added));
  });

  app.get<WithId>('/api/v4/projects/:id/members', async function listProjectMembers(request, reply) {
    const project = await projects.findVisible(request.actor, request.params.id);
    const rows = await members.list({ kind: 'project', id: project.id, fullPath: project.full_path });
    return paginate(reply, request.query, rows).map(memberJson);
  });

  app.post<WithId>('/api/v4/projects/:id/protected_branches', async function protectBranch(request, reply) {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    const body = parse(newProtectedBranch, request.body);
    // Nobody force-pushes to a protected branch through Kubegate; saying yes must not look accepted.
    if (body.allow_force_push === true) throw badRequest('allow_force_push: Kubegate never allows force pushes to protected branches; unprotect the branch to rewrite it');
    return reply.status(201).send(protectedBranchJson(await projects.protectBranch(request.actor, project, body)));
  });

  app.get<WithId>('/api/v4/projects/:id/protected_branches', async function listProtectedBranches(request, reply) {
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.reporter, 'list protected branches');
    return paginate(reply, request.query, await projects.protectedBranches(project.id)).map(protectedBranchJson);
  });

  app.get<{ Params: { id: string; name: string } }>('/api/v4/projects/:id/protected_branches/:name', async function getProtectedBranch(request) {
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.reporter, 'read protected branches');
    return protectedBranchJson(await projects.protectedBranch(project.id, request.params.name));
  });

  app.delete<{ Params: { id: string; name: string } }>('/api/v4/projects/:id/protected_branches/:name', async function unprotectBranch(request, reply) {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.unprotectBranch(request.actor, project, request.params.name);
    return reply.status(204).send();
  });

  app.post<WithId>('/api/v4/projects/:id/environments', async function createEnvironment(request, reply) {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    const body = parse(newEnvironment, request.body);
    return reply.status(201).send(environmentJson(await projects.createEnvironment(request.actor, project, body)));
  });

  app.get<WithId>('/api/v4/projects/:id/environments', async function listEnvironments(request, reply) {
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.reporter, 'list environments');
    return paginate(reply, request.query, await projects.listEnvironments(project.id)).map(environmentJson);
  });

  app.get<{ Params: { id: string; env_id: string } }>('/api/v4/projects/:id/environments/:env_id', async function getEnvironment(request) {
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.reporter, 'read environments');
    const envId = Number(request.params.env_id);
    if (!Number.isInteger(envId)) throw badRequest('environment_id must be an integer');
    const env = (await projects.listEnvironments(project.id)).find((e) => e.id === envId);
    if (!env) throw notFound('Environment');
    return environmentJson(env);
  });
}
