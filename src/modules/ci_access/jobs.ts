/**
 * CI jobs: what a pipeline runner creates for each job it runs. The job token is the
 * job's identity (GitLab's `CI_JOB_TOKEN`): stored as a digest, valid only while the job
 * runs. `ref_protected` is derived here from the project's protected branches; a caller
 * can never claim it.
 *
 * Creating a job is the trust boundary a CI system integrates at (GitLab's rules for
 * pipelines): the ref must exist in the repository, a job for a protected branch is only
 * for a user allowed to push or merge to it, and a job in a protected environment only
 * for a user allowed to deploy to it. Otherwise `protected_branches_only` and
 * `environments` in an agent configuration could be satisfied by anyone who can create a
 * job.
 */
import type { Kysely } from 'kysely';
import type { CiJob, Database, Environment, EnvironmentTier, Project, User } from '../../store/schema.js';
import { now, transaction } from '../../store/db.js';
import { badRequest, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import { TOKEN_PREFIX, digestToken, generateToken } from '../identity/tokens.js';
import type { ProjectService } from '../projects/server.js';
import type { ProtectedEnvironmentService } from '../projects/protected_environments.js';
import { invalidBranchPattern, whoMay } from '../projects/protected_branches.js';
import { roleName } from '../identity/access.js';
import type { Policy } from '../identity/policy.js';

export interface NewJob {
  ref: string;
  name?: string | undefined;
  pipeline_id?: number | undefined;
  environment?: string | undefined;
  environment_tier?: EnvironmentTier | undefined;
}

/** A running job with everything authorization needs, loaded once per request. */
export interface JobContext {
  job: CiJob;
  project: Project;
  user: User;
  environment: Environment | null;
}

export class JobService {
  private readonly finishedListeners = new Set<(job: CiJob) => void>();

  /** Called after a job finished, e.g. to forget cached authorizations of its token. */
  onFinished(listener: (job: CiJob) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly projects: ProjectService,
    private readonly guards: JobGuards,
  ) {}

  async create(project: Project, user: User, input: NewJob): Promise<{ context: JobContext; token: string }> {
    const problem = invalidBranchPattern(input.ref);
    if (problem || input.ref.includes('*')) throw badRequest(`ref ${problem ?? "cannot contain '*'"}`);
    const ref = await findRef(this.guards.refs, project, input.ref);
    let refProtected = false;
    if (ref.kind === 'branch') {
      const permissions = await this.projects.branchPermissions(user, project, ref.name);
      refProtected = permissions.protected;
      if (permissions.protected && !permissions.push && !permissions.merge) {
        throw forbidden(
          `403 Forbidden: branch "${ref.name}" of project ${project.full_path} is protected: only a user who may push or merge to it (${whoMay(permissions.rules, 'push or merge')}) may run jobs for it, and ${user.username} is ${await this.roleOf(user, project)}`,
        );
      }
    }
    if (input.environment !== undefined) {
      const deploy = await this.guards.protectedEnvironments.deployPermission(user, project, input.environment);
      if (!deploy.allowed) {
        throw forbidden(`403 Forbidden: environment "${input.environment}" of project ${project.full_path} is protected: only ${deploy.who} may deploy to it, and ${user.username} is ${await this.roleOf(user, project)}`);
      }
    }
    const environment = input.environment === undefined ? null : await this.projects.ensureEnvironment(project.id, input.environment, input.environment_tier);
    const token = generateToken(TOKEN_PREFIX.job);
    const job = await transaction(this.db, async (trx) => {
      const pipelineId = input.pipeline_id ?? (await nextPipelineId(trx));
      return trx
        .insertInto('ci_jobs')
        .values({
          project_id: project.id,
          pipeline_id: pipelineId,
          name: input.name ?? 'job',
          ref: input.ref,
          ref_protected: refProtected ? 1 : 0,
          environment_id: environment?.id ?? null,
          user_id: user.id,
          token_digest: digestToken(token),
          status: 'running',
          created_at: now(),
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return { context: { job, project, user, environment }, token };
  }

  /** "a Developer", "not a member"… for refusals. */
  private async roleOf(user: User, project: Project): Promise<string> {
    if (user.admin === 1) return 'an administrator';
    const level = await this.guards.policy.projectAccess(user, project);
    if (level === 0) return 'not a member';
    const role = roleName(level);
    return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role.charAt(0).toUpperCase()}${role.slice(1)}`;
  }

  async find(projectId: number, jobId: number): Promise<CiJob> {
    const job = await this.db.selectFrom('ci_jobs').selectAll().where('project_id', '=', projectId).where('id', '=', jobId).executeTakeFirst();
    if (!job) throw notFound('Job');
    return job;
  }

  /** Ends the job; its token stops working at once. */
  async finish(job: CiJob, status: 'success' | 'failed' | 'canceled' = 'success'): Promise<CiJob> {
    if (job.status !== 'running') return job;
    const finished = await this.db.updateTable('ci_jobs').set({ status, finished_at: now() }).where('id', '=', job.id).returningAll().executeTakeFirstOrThrow();
    for (const listener of this.finishedListeners) listener(finished);
    return finished;
  }

  /**
   * The running job a token belongs to, with its project, user and environment. Unknown
   * and finished tokens are refused with a message that says which.
   */
  async authenticate(token: string): Promise<JobContext> {
    if (!token.startsWith(TOKEN_PREFIX.job)) throw unauthorized('401 Unauthorized: this is not a CI job token');
    const job = await this.db.selectFrom('ci_jobs').selectAll().where('token_digest', '=', digestToken(token)).executeTakeFirst();
    if (!job) throw unauthorized('401 Unauthorized: the job token is not valid');
    if (job.status !== 'running') throw unauthorized(`401 Unauthorized: job ${job.id} has finished (${job.status}); its token no longer works`);
    return this.load(job);
  }

  async load(job: CiJob): Promise<JobContext> {
    const project = await this.db.selectFrom('projects').selectAll().where('id', '=', job.project_id).executeTakeFirstOrThrow();
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', job.user_id).executeTakeFirstOrThrow();
    const environment = job.environment_id === null ? null : ((await this.db.selectFrom('environments').selectAll().where('id', '=', job.environment_id).executeTakeFirst()) ?? null);
    return { job, project, user, environment };
  }
}

/** What job creation checks besides the project's protected branches. */
export interface JobGuards {
  /** Resolves `refs/heads/…` and `refs/tags/…` names in the project's repository. */
  refs: { resolveRef(projectId: number, ref: string): Promise<string | null> };
  protectedEnvironments: Pick<ProtectedEnvironmentService, 'deployPermission'>;
  policy: Pick<Policy, 'projectAccess'>;
}

/**
 * The branch or tag a job's ref names: `main`, `refs/heads/main`, `v1.0`, `refs/tags/v1.0`
 * (a short name is a branch first, as in GitLab). A 400 that names it when there is none:
 * a job must run on something that exists, or its protection could not be known.
 */
async function findRef(refs: JobGuards['refs'], project: Project, ref: string): Promise<{ kind: 'branch' | 'tag'; name: string }> {
  const candidates: Array<{ kind: 'branch' | 'tag'; name: string }> = ref.startsWith('refs/heads/')
    ? [{ kind: 'branch', name: ref.slice('refs/heads/'.length) }]
    : ref.startsWith('refs/tags/')
      ? [{ kind: 'tag', name: ref.slice('refs/tags/'.length) }]
      : [{ kind: 'branch', name: ref }, { kind: 'tag', name: ref }];
  for (const c of candidates) {
    if (c.name === '') continue;
    const full = `refs/${c.kind === 'branch' ? 'heads' : 'tags'}/${c.name}`;
    if ((await refs.resolveRef(project.id, full)) !== null) return c;
  }
  throw badRequest(`ref "${ref}" does not exist in project ${project.full_path}: a job runs on an existing branch or tag; push it first`);
}

async function nextPipelineId(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('ci_jobs').select((eb) => eb.fn.max('pipeline_id').as('max')).executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}
