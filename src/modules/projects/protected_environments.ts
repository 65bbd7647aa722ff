/**
 * Protected environments (GitLab's API and rules): an environment only the listed roles or
 * users may deploy to. A CI job in a protected environment may be created only for a user
 * allowed to deploy to it; that is what makes `ci_access.environments` in an agent
 * configuration mean something.
 */
import type { Kysely } from 'kysely';
import type { Database, DeployAccessLevel, Project, ProtectedEnvironment, User } from '../../store/schema.js';
import { isUniqueViolation, now, transaction } from '../../store/db.js';
import { badRequest, conflict, notFound } from '../../lib/errors.js';
import { ACCESS } from '../identity/access.js';
import type { Actor } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import type { ProjectService } from './server.js';
import { validateEnvironmentName } from './environments.js';
import { PROTECTION_ACCESS, accessLevelDescription, passesAccessLevel } from './protected_branches.js';

/** GitLab's `ProtectedEnvironments::DeployAccessLevel::ALLOWED_ACCESS_LEVELS`. */
export const DEPLOY_ACCESS_LEVELS: readonly number[] = [ACCESS.reporter, PROTECTION_ACCESS.developer, PROTECTION_ACCESS.maintainer, PROTECTION_ACCESS.admin];

/** One entry of `deploy_access_levels` as the API takes it: a role, or one user. */
export interface DeployAccessInput {
  access_level?: number | undefined;
  user_id?: number | undefined;
  group_id?: number | undefined;
}

export interface ProtectedEnvironmentWithLevels {
  environment: ProtectedEnvironment;
  levels: Array<DeployAccessLevel & { userName: string | null }>;
}

export interface DeployPermission {
  protected: boolean;
  allowed: boolean;
  /** Who may deploy, in words, for refusals. */
  who: string;
}

export class ProtectedEnvironmentService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: Policy,
    private readonly projects: ProjectService,
  ) {}

  async protect(actor: Actor, project: Project, input: { name: string; deploy_access_levels: DeployAccessInput[] }): Promise<ProtectedEnvironmentWithLevels> {
    await this.projects.requireAccess(actor, project, ACCESS.maintainer, 'protect environments');
    const name = validateEnvironmentName(input.name);
    if (input.deploy_access_levels.length === 0) {
      throw badRequest('deploy_access_levels is empty: list who may deploy, e.g. [{"access_level": 40}] for Maintainers');
    }
    const levels: Array<{ access_level: number | null; user_id: number | null }> = [];
    for (const [i, entry] of input.deploy_access_levels.entries()) levels.push(await this.validateEntry(project, entry, i));
    try {
      const id = await transaction(this.db, async (trx) => {
        const row = await trx.insertInto('protected_environments').values({ project_id: project.id, name, created_at: now() }).returning('id').executeTakeFirstOrThrow();
        await trx
          .insertInto('protected_environment_deploy_access_levels')
          .values(levels.map((l) => ({ protected_environment_id: row.id, access_level: l.access_level, user_id: l.user_id })))
          .execute();
        return row.id;
      });
      return (await this.load(project.id, { id }))!;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Environment '${name}' is already protected`);
      throw err;
    }
  }

  async unprotect(actor: Actor, project: Project, name: string): Promise<void> {
    await this.projects.requireAccess(actor, project, ACCESS.maintainer, 'unprotect environments');
    const res = await this.db.deleteFrom('protected_environments').where('project_id', '=', project.id).where('name', '=', name).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound('Protected environment');
  }

  async list(projectId: number): Promise<ProtectedEnvironmentWithLevels[]> {
    const rows = await this.db.selectFrom('protected_environments').select('id').where('project_id', '=', projectId).orderBy('name').execute();
    const out: ProtectedEnvironmentWithLevels[] = [];
    for (const row of rows) out.push((await this.load(projectId, { id: row.id }))!);
    return out;
  }

  async find(projectId: number, name: string): Promise<ProtectedEnvironmentWithLevels> {
    const found = await this.load(projectId, { name });
    if (!found) throw notFound('Protected environment');
    return found;
  }

  /** Whether `user` may deploy to the environment named `name` (anyone may, when it is not protected). */
  async deployPermission(user: User, project: Project, name: string): Promise<DeployPermission> {
    const found = await this.load(project.id, { name });
    if (!found) return { protected: false, allowed: true, who: '' };
    const role = await this.policy.projectAccess(user, project);
    const admin = user.admin === 1;
    const allowed = found.levels.some((l) => (l.user_id !== null ? l.user_id === user.id || admin : passesAccessLevel(l.access_level ?? PROTECTION_ACCESS.noOne, role, admin)));
    return { protected: true, allowed, who: found.levels.map(describeLevel).join(', ') };
  }

  private async validateEntry(project: Project, entry: DeployAccessInput, index: number): Promise<{ access_level: number | null; user_id: number | null }> {
    const field = `deploy_access_levels[${index}]`;
    if (entry.group_id !== undefined) {
      throw badRequest(`${field}.group_id: Kubegate does not support group entries; give an access_level (e.g. 40 for Maintainers) or a user_id`);
    }
    const given = [entry.access_level, entry.user_id].filter((v) => v !== undefined).length;
    if (given !== 1) throw badRequest(`${field} must have exactly one of access_level or user_id, e.g. {"access_level": 40}`);
    if (entry.access_level !== undefined) {
      if (!DEPLOY_ACCESS_LEVELS.includes(entry.access_level)) {
        throw badRequest(`${field}.access_level must be one of ${DEPLOY_ACCESS_LEVELS.map((l) => `${l} (${accessLevelDescription(l)})`).join(', ')}`);
      }
      return { access_level: entry.access_level, user_id: null };
    }
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', entry.user_id!).executeTakeFirst();
    // GitLab's rule: each user must have access to the project.
    if (!user || (await this.policy.projectAccess(user, project)) < ACCESS.guest) {
      throw badRequest(`${field}.user_id ${entry.user_id} is not a member of project ${project.full_path}; add the user to the project first`);
    }
    return { access_level: null, user_id: user.id };
  }

  private async load(projectId: number, by: { id: number } | { name: string }): Promise<ProtectedEnvironmentWithLevels | undefined> {
    let q = this.db.selectFrom('protected_environments').selectAll().where('project_id', '=', projectId);
    q = 'id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name);
    const environment = await q.executeTakeFirst();
    if (!environment) return undefined;
    const levels = await this.db
      .selectFrom('protected_environment_deploy_access_levels as l')
      .leftJoin('users as u', 'u.id', 'l.user_id')
      .select(['l.id', 'l.protected_environment_id', 'l.access_level', 'l.user_id', 'u.name as userName'])
      .where('l.protected_environment_id', '=', environment.id)
      .orderBy('l.id')
      .execute();
    return { environment, levels };
  }
}

function describeLevel(level: { access_level: number | null; userName: string | null }): string {
  return level.access_level !== null ? accessLevelDescription(level.access_level) : `the user ${level.userName ?? '(deleted)'}`;
}

/** GitLab's shape of a protected environment. */
export function protectedEnvironmentJson({ environment, levels }: ProtectedEnvironmentWithLevels) {
  return {
    name: environment.name,
    deploy_access_levels: levels.map((l) => ({
      id: l.id,
      access_level: l.access_level,
      access_level_description: describeLevel(l),
      user_id: l.user_id,
      group_id: null,
      group_inheritance_type: 0,
    })),
    required_approval_count: 0,
    approval_rules: [],
  };
}
