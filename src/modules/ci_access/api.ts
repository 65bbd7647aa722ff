/**
 * CI jobs over the API (CONTRACT.md): a runner creates a job and gets its token; the job
 * then reads itself, its allowed agents (GitLab's `/job/allowed_agents` shape) and its
 * kubeconfig with `JOB-TOKEN`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CiJob, Environment, Project, User } from '../../store/schema.js';
import { forbidden, unauthorized } from '../../lib/errors.js';
import { idLike, intLike, nameText, parse } from '../../lib/validate.js';
import type { ProjectService } from '../projects/server.js';
import type { IdentityService } from '../identity/server.js';
import { ACCESS } from '../identity/access.js';
import { TIERS } from '../projects/environments.js';
import type { JobContext, JobService } from './jobs.js';
import type { CiAccessService } from './server.js';
import { buildKubeconfig, type DeployCluster } from './kubeconfig.js';
import type { AccessAs } from '../agent_config/types.js';

export interface CiRouteDeps {
  jobs: JobService;
  access: CiAccessService;
  projects: ProjectService;
  identity: IdentityService;
  externalUrl: () => string;
  serverCa: () => string | null;
  /** The certificate-based cluster for the job's environment, if any. */
  deployCluster: (ctx: JobContext) => Promise<DeployCluster | null>;
}

const newJob = z.object({
  ref: z.string().min(1, 'is missing'),
  name: nameText(255).optional(),
  pipeline_id: idLike.optional(),
  environment: z.string().optional(),
  environment_tier: z.enum(TIERS as ['production', 'staging', 'testing', 'development', 'other']).optional(),
  user_id: idLike.optional(),
});
const finish = z.object({ status: z.enum(['success', 'failed', 'canceled']).optional() });

function environmentJson(env: Environment | null) {
  return env ? { name: env.name, slug: env.slug, tier: env.tier } : null;
}

export function jobJson(job: CiJob, project: Project, user: User, env: Environment | null) {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    ref: job.ref,
    ref_protected: job.ref_protected === 1,
    tag: false,
    created_at: job.created_at,
    finished_at: job.finished_at,
    pipeline: { id: job.pipeline_id, project_id: project.id, ref: job.ref },
    project: { id: project.id, path_with_namespace: project.full_path },
    user: { id: user.id, username: user.username, name: user.name },
    environment: environmentJson(env),
  };
}

function accessAsJson(a: AccessAs) {
  if (a.kind === 'agent') return { agent: {} };
  if (a.kind === 'ci_job') return { ci_job: {} };
  return { impersonate: { username: a.username, ...(a.uid ? { uid: a.uid } : {}), groups: a.groups, extra: a.extra } };
}

export function registerCiRoutes(app: FastifyInstance, deps: CiRouteDeps): void {
  const { jobs, projects } = deps;

  async function jobFromToken(request: FastifyRequest): Promise<JobContext> {
    const token = request.headers['job-token'];
    if (typeof token !== 'string' || token === '') throw unauthorized('401 Unauthorized: send the job token in the JOB-TOKEN header');
    return jobs.authenticate(token);
  }

  app.post<{ Params: { id: string } }>('/api/v4/projects/:id/jobs', async function createJob(request, reply) {
    // Writes need a signed-in caller: 401 before any lookup, as GitLab's `authenticate!`.
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.developer, 'run jobs');
    const body = parse(newJob, request.body);
    let user = request.actor.user!;
    if (body.user_id !== undefined && body.user_id !== user.id) {
      if (!user.admin) throw forbidden('403 Forbidden: only an administrator can run a job as another user');
      user = await deps.identity.requireUser(body.user_id);
    }
    const { context, token } = await jobs.create(project, user, body);
    request.log.info({ jobId: context.job.id, project: project.full_path, ref: context.job.ref, environment: context.environment?.name }, 'CI job created');
    return reply.status(201).send({ ...jobJson(context.job, project, user, context.environment), token });
  });

  app.post<{ Params: { id: string; job_id: string } }>('/api/v4/projects/:id/jobs/:job_id/finish', async function finishJob(request) {
    if (!request.actor.user) throw unauthorized();
    const project = await projects.findVisible(request.actor, request.params.id);
    await projects.requireAccess(request.actor, project, ACCESS.developer, 'finish jobs');
    const { job_id: jobId } = parse(z.object({ job_id: intLike }).passthrough(), request.params);
    const { status } = parse(finish, request.body);
    const job = await jobs.finish(await jobs.find(project.id, jobId), status);
    const ctx = await jobs.load(job);
    return jobJson(job, project, ctx.user, ctx.environment);
  });

  app.get('/api/v4/job', async function currentJob(request) {
    const ctx = await jobFromToken(request);
    return jobJson(ctx.job, ctx.project, ctx.user, ctx.environment);
  });

  app.get<{ Querystring: { include_exclusions?: string } }>('/api/v4/job/allowed_agents', async function allowedAgentsForJob(request) {
    const ctx = await jobFromToken(request);
    const access = await deps.access.forJob(ctx);
    // Kubegate's extension, on request only: the agents the job could have reached and
    // why it did not get them (GitLab's answer is otherwise unchanged).
    const withExclusions = ['true', '1'].includes(String(request.query.include_exclusions ?? ''));
    const excluded = withExclusions ? await deps.access.exclusionsFor(ctx) : undefined;
    return {
      allowed_agents: access.grants.map((g) => ({
        id: g.agent.id,
        config_project: { id: g.configProject.id, path_with_namespace: g.configProject.fullPath },
        configuration: {
          ...(g.defaultNamespace ? { default_namespace: g.defaultNamespace } : {}),
          access_as: accessAsJson(g.accessAs),
          ...(g.entry?.environments ? { environments: g.entry.environments } : {}),
          ...(g.entry ? { protected_branches_only: g.entry.protected_branches_only } : {}),
        },
      })),
      job: { id: ctx.job.id },
      pipeline: { id: ctx.job.pipeline_id },
      project: { id: ctx.project.id, groups: access.groups.map((g) => ({ id: g.id })) },
      user: { id: ctx.user.id, username: ctx.user.username },
      ...(ctx.environment ? { environment: { slug: ctx.environment.slug, tier: ctx.environment.tier } } : {}),
      ...(excluded
        ? {
            excluded_agents: excluded.map((e) => ({
              id: e.agent.id,
              name: e.agent.name,
              config_project: { id: e.configProject.id, path_with_namespace: e.configProject.fullPath },
              reason: e.reason,
              message: e.message,
            })),
          }
        : {}),
    };
  });

  app.get('/api/v4/job/kubeconfig', async function jobKubeconfig(request, reply) {
    const ctx = await jobFromToken(request);
    const access = await deps.access.forJob(ctx);
    const token = request.headers['job-token'] as string;
    const yaml = buildKubeconfig({
      externalUrl: deps.externalUrl(),
      serverCa: deps.serverCa(),
      jobToken: token,
      grants: access.grants,
      deploy: await deps.deployCluster(ctx),
    });
    return reply.type('application/yaml').send(yaml);
  });
}
