/**
 * CI access for a job: the agents it may use, on what terms, and the Kubernetes identity
 * each request runs as. Reads the configurations in force (memory) and the job's project
 * ancestry; the rules themselves are in allowed.ts.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Policy } from '../identity/policy.js';
import type { AgentConfigurations } from '../agents/configuration.js';
import type { JobContext } from './jobs.js';
import { allowedAgents, type AgentCandidate, type Exclusion, type Grant, type Refusal } from './allowed.js';
import { identityFor } from './identity.js';
import type { Identity } from '../kube_proxy/shared.js';

export interface JobAccess {
  grants: Grant[];
  refusals: Refusal[];
  /** Groups above the project, root first (GitLab's `project.groups`). */
  groups: Array<{ id: number; fullPath: string }>;
}

export class CiAccessService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: Policy,
    private readonly configurations: AgentConfigurations,
  ) {}

  async forJob(ctx: JobContext): Promise<JobAccess> {
    const chain = await this.policy.ancestry(ctx.project.namespace_id);
    const groupsNearestFirst = chain.filter((ns) => ns.kind === 'group');
    const candidates = await this.candidates(ctx.project.full_path.split('/')[0]!);
    const { grants, refusals } = allowedAgents(
      {
        projectId: ctx.project.id,
        projectFullPath: ctx.project.full_path,
        groupPaths: groupsNearestFirst.map((g) => g.full_path),
        environment: ctx.environment ? { name: ctx.environment.name } : null,
        refProtected: ctx.job.ref_protected === 1,
      },
      candidates,
    );
    return { grants, refusals, groups: [...groupsNearestFirst].reverse().map((g) => ({ id: g.id, fullPath: g.full_path })) };
  }

  /**
   * The agents the job could have reached and did not get, each with its reason (see
   * `allowedAgents`), limited to agents whose configuration project the job's user can
   * see: the job learns nothing about projects hidden from its user. Reads every agent
   * (agents of other top-level groups may name the project): for the job to ask, not for
   * the proxy's hot path.
   */
  async exclusionsFor(ctx: JobContext): Promise<Exclusion[]> {
    const chain = await this.policy.ancestry(ctx.project.namespace_id);
    const rows = await this.db
      .selectFrom('agents')
      .innerJoin('projects', 'projects.id', 'agents.project_id')
      .select(['agents.id as agentId', 'agents.name as agentName', 'projects.id as projectId', 'projects.full_path as fullPath'])
      .orderBy('agents.id')
      .execute();
    const candidates: AgentCandidate[] = await Promise.all(
      rows.map(async (r) => ({
        agent: { id: r.agentId, name: r.agentName },
        configProject: { id: r.projectId, fullPath: r.fullPath },
        config: (await this.configurations.inForce(r.agentId)).config,
      })),
    );
    const { exclusions } = allowedAgents(
      {
        projectId: ctx.project.id,
        projectFullPath: ctx.project.full_path,
        groupPaths: chain.filter((ns) => ns.kind === 'group').map((g) => g.full_path),
        environment: ctx.environment ? { name: ctx.environment.name } : null,
        refProtected: ctx.job.ref_protected === 1,
      },
      candidates,
    );
    const visible: Exclusion[] = [];
    for (const exclusion of exclusions) {
      const project = await this.db.selectFrom('projects').selectAll().where('id', '=', exclusion.configProject.id).executeTakeFirst();
      if (project && (await this.policy.canSeeProject(ctx.user, project))) visible.push(exclusion);
    }
    return visible;
  }

  /** The grant of one agent for the job, or undefined when the job may not use it. */
  async grantFor(ctx: JobContext, agentId: number): Promise<{ grant: Grant; identity: Identity } | undefined> {
    const access = await this.forJob(ctx);
    const grant = access.grants.find((g) => g.agent.id === agentId);
    if (!grant) return undefined;
    const identity = identityFor(grant.accessAs, {
      agentId: grant.agent.id,
      configProjectId: grant.configProject.id,
      projectId: ctx.project.id,
      groupIds: access.groups.map((g) => g.id),
      pipelineId: ctx.job.pipeline_id,
      jobId: ctx.job.id,
      username: ctx.user.username,
      environment: ctx.environment ? { slug: ctx.environment.slug, tier: ctx.environment.tier } : null,
    });
    return { grant, identity };
  }

  /** Agents whose configuration project shares the job's root namespace (rule 2). */
  private async candidates(root: string): Promise<AgentCandidate[]> {
    const prefix = `${root.toLowerCase()}/`;
    const rows = await this.db
      .selectFrom('agents')
      .innerJoin('projects', 'projects.id', 'agents.project_id')
      .select(['agents.id as agentId', 'agents.name as agentName', 'projects.id as projectId', 'projects.full_path as fullPath'])
      .where(sql<boolean>`substr(lower(projects.full_path), 1, ${prefix.length}) = ${prefix}`)
      .orderBy('agents.id')
      .execute();
    return Promise.all(
      rows.map(async (r) => ({
        agent: { id: r.agentId, name: r.agentName },
        configProject: { id: r.projectId, fullPath: r.fullPath },
        config: (await this.configurations.inForce(r.agentId)).config,
      })),
    );
  }
}
