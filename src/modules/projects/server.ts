/**
 * Projects and what hangs on them here: members, protected branches, environments. Each
 * project owns a bare Git repository, created in the same step as its row: if either
 * fails, neither exists.
 */
import { readdir } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { MAX_INT } from '../../lib/validate.js';
import type { Database, Environment, EnvironmentTier, Namespace, Project, ProtectedBranch, User, Visibility } from '../../store/schema.js';
import { isUniqueViolation, now, transaction } from '../../store/db.js';
import { namespaceFullNames } from '../../store/full_names.js';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import type { Actor } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import { pathFromName, validateName, validatePath } from '../groups/paths.js';
import { assertPathFree, claimRoute, findRoute, pathConflict } from '../groups/routes.js';
import { VISIBILITY_RANK } from '../groups/visibility.js';
import { environmentSlug, guessTier, validateEnvironmentName } from './environments.js';
import { BRANCH_ACCESS_LEVELS, PROTECTION_ACCESS, accessLevelDescription, branchPatternMatches, branchPermissions, invalidBranchPattern, isProtected, type BranchPermissions } from './protected_branches.js';

/** What projects need from the Git side: a bare repository per project. */
export interface RepositoryLifecycle {
  create(projectId: number, defaultBranch: string): Promise<void>;
  remove(projectId: number): Promise<void>;
}

/** The project ids of the repositories under `root` (named `<id>.git`, as RepositoryStore does). */
export async function repositoryIdsOnDisk(root: string): Promise<number[]> {
  const names = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.flatMap((name) => {
    const m = /^(\d+)\.git$/.exec(name);
    return m ? [Number(m[1])] : [];
  });
}

export interface NewProject {
  name?: string | undefined;
  path?: string | undefined;
  namespace_id?: number | undefined;
  default_branch?: string | undefined;
  visibility?: Visibility | undefined;
  description?: string | undefined;
}

export class ProjectService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: Policy,
    private readonly repositories: RepositoryLifecycle,
  ) {}

  async create(actor: Actor, input: NewProject): Promise<Project> {
    const user = actor.user;
    if (!user) throw unauthorized();
    if (input.name === undefined && input.path === undefined) throw badRequest('name is missing (give a name, a path or both)');
    const path = validatePath(input.path ?? pathFromName(input.name ?? ''));
    const name = validateName(input.name ?? path);
    const defaultBranch = input.default_branch ?? 'main';
    const branchProblem = invalidBranchPattern(defaultBranch);
    if (branchProblem || defaultBranch.includes('*')) throw badRequest(`default_branch ${branchProblem ?? "cannot contain '*'"}`);

    const namespace = await this.targetNamespace(actor, input.namespace_id);
    if (input.visibility && namespace.kind === 'group' && VISIBILITY_RANK[input.visibility] > VISIBILITY_RANK[namespace.visibility]) {
      throw badRequest(`visibility: "${input.visibility}" is not allowed since the group is ${namespace.visibility}`);
    }
    const fullPath = `${namespace.full_path}/${path}`;
    // Read outside the transaction: on SQLite it holds the only connection.
    const makeMaintainer = (await this.policy.namespaceAccess(user, namespace.id)) < ACCESS.maintainer;
    let createdRepo: number | undefined;
    try {
      return await transaction(this.db, async (trx) => {
        await assertPathFree(trx, fullPath);
        const project = await trx
          .insertInto('projects')
          .values({ namespace_id: namespace.id, name, path, full_path: fullPath, description: input.description ?? '', default_branch: defaultBranch, visibility: input.visibility ?? 'private', creator_id: user.id, created_at: now() })
          .returningAll()
          .executeTakeFirstOrThrow()
          .catch(pathConflict(fullPath));
        await claimRoute(trx, fullPath, 'project', project.id);
        // The default branch is protected from the start (Maintainers push and merge), as
        // in GitLab: it holds the agent configuration, which decides who a CI job acts as
        // in a cluster. Maintainers may change or remove the rule.
        await trx.insertInto('protected_branches').values({ project_id: project.id, name: defaultBranch, created_at: now(), ...DEFAULT_BRANCH_PROTECTION }).execute();
        // GitLab makes a creator who only has Developer on the group a Maintainer of the
        // project they made, so they can manage it.
        if (makeMaintainer) {
          await trx.insertInto('members').values({ source_kind: 'project', source_id: project.id, user_id: user.id, access_level: ACCESS.maintainer, created_at: now() }).execute();
        }
        // Last, so that nothing after it can fail: once the repository exists, the
        // transaction commits.
        createdRepo = project.id;
        await this.repositories.create(project.id, defaultBranch);
        return project;
      });
    } catch (err) {
      // The transaction rolled back; a repository made (or half-made) for it must go too.
      if (createdRepo !== undefined) await this.repositories.remove(createdRepo).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Removes the repositories of projects that do not exist: a crash (kill -9, power loss)
   * between `git init` and the commit of the project's row leaves one behind. Call at
   * start, before anything can create a project, with the ids of the repositories on
   * disk; returns the ids removed.
   */
  async removeOrphanRepositories(onDisk: readonly number[]): Promise<number[]> {
    if (onDisk.length === 0) return [];
    const known = new Set((await this.db.selectFrom('projects').select('id').execute()).map((p) => p.id));
    const orphans = onDisk.filter((id) => !known.has(id));
    for (const id of orphans) await this.repositories.remove(id);
    return orphans;
  }

  private async targetNamespace(actor: Actor, namespaceId: number | undefined): Promise<Namespace> {
    const user = actor.user!;
    const id = namespaceId ?? user.namespace_id;
    const ns = id == null ? undefined : await this.db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst();
    if (!ns) throw notFound('Namespace');
    if (ns.kind === 'user') {
      if (ns.owner_user_id !== user.id && !user.admin) throw notFound('Namespace');
      return ns;
    }
    const access = await this.policy.namespaceAccess(user, ns.id);
    if (access < ACCESS.guest && !(await this.policy.canSeeGroup(user, ns))) throw notFound('Namespace');
    if (access < ACCESS.developer) {
      throw forbidden(`403 Forbidden: you need at least the Developer role on group ${ns.full_path} to create projects in it`);
    }
    return ns;
  }

  async lookup(idOrPath: number | string, db: Kysely<Database> = this.db): Promise<Project | undefined> {
    let id: number | undefined;
    if (typeof idOrPath === 'number' || /^\d+$/.test(idOrPath)) id = Number(idOrPath);
    else {
      const route = await findRoute(db, idOrPath);
      id = route?.source_kind === 'project' ? route.source_id : undefined;
    }
    // An id beyond what the store holds names nothing (and must not reach PostgreSQL).
    if (id === undefined || id > MAX_INT) return undefined;
    return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A project the actor can see, by id or full path; 404 otherwise. */
  async findVisible(actor: Actor, idOrPath: number | string): Promise<Project> {
    const project = await this.lookup(idOrPath);
    if (!project || !(await this.policy.canSeeProject(actor.user, project))) throw notFound('Project');
    return project;
  }

  /** Throws 403 naming the role that is needed; call after `findVisible`. */
  async requireAccess(actor: Actor, project: Project, level: number, action: string): Promise<void> {
    if ((await this.policy.projectAccess(actor.user, project)) < level) {
      const role = Object.entries(ACCESS).find(([, v]) => v === level)?.[0] ?? String(level);
      throw forbidden(`403 Forbidden: you need at least the ${capitalize(role)} role on project ${project.full_path} to ${action}`);
    }
  }

  async listVisible(actor: Actor, filter: { namespaceId?: number } = {}): Promise<Project[]> {
    let q = this.db.selectFrom('projects').selectAll().orderBy('id');
    if (filter.namespaceId !== undefined) q = q.where('namespace_id', '=', filter.namespaceId);
    const all = await q.execute();
    if (actor.user?.admin) return all;
    const scope = await this.policy.visibilityScope(actor.user);
    return all.filter((row) => scope.canSeeProject(row));
  }

  /**
   * Makes `branch` the default branch. Its protection follows: an exact rule for the old
   * default branch moves to the new one (keeping its levels), and a default branch no rule
   * matches gets the default protection, so the agent configuration is never left open.
   */
  async setDefaultBranch(projectId: number, branch: string): Promise<Project> {
    return transaction(this.db, async (trx) => {
      const old = await trx.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow();
      const rules = await trx.selectFrom('protected_branches').selectAll().where('project_id', '=', projectId).execute();
      if (!rules.some((r) => branchPatternMatches(r.name, branch))) {
        const exactOld = rules.find((r) => r.name === old.default_branch);
        if (exactOld) await trx.updateTable('protected_branches').set({ name: branch }).where('id', '=', exactOld.id).execute();
        else await trx.insertInto('protected_branches').values({ project_id: projectId, name: branch, created_at: now(), ...DEFAULT_BRANCH_PROTECTION }).execute();
      }
      return trx.updateTable('projects').set({ default_branch: branch }).where('id', '=', projectId).returningAll().executeTakeFirstOrThrow();
    });
  }

  /**
   * The namespace of each project and its full name (GitLab's `name_with_namespace` is
   * that, ` / `, the project's name), by namespace id: two queries for any number of
   * projects, not one per project.
   */
  async namespacesOf(list: readonly Project[]): Promise<Map<number, NamespaceWithName>> {
    const ids = [...new Set(list.map((p) => p.namespace_id))];
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('namespaces').selectAll().where('id', 'in', ids).execute();
    const names = await namespaceFullNames(this.db, rows);
    return new Map(rows.map((ns) => [ns.id, { namespace: ns, fullName: names.get(ns.id)! }]));
  }

  /** GitLab's `name_with_namespace` of one project: its namespace's full name, ` / `, its name. */
  async nameWithNamespace(project: Project): Promise<string> {
    const { fullName } = (await this.namespacesOf([project])).get(project.namespace_id)!;
    return nameWithNamespace(project, fullName);
  }

  // ── protected branches ──────────────────────────────────────────────────────────

  async protectBranch(actor: Actor, project: Project, input: NewProtectedBranch): Promise<ProtectedBranch> {
    await this.requireAccess(actor, project, ACCESS.maintainer, 'protect branches');
    const { name } = input;
    const problem = invalidBranchPattern(name);
    if (problem) throw badRequest(`name ${problem}`);
    const push = branchLevel(input.push_access_level, 'push_access_level');
    const merge = branchLevel(input.merge_access_level, 'merge_access_level');
    try {
      return await this.db
        .insertInto('protected_branches')
        .values({ project_id: project.id, name, created_at: now(), push_access_level: push, merge_access_level: merge })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Protected branch '${name}' already exists`);
      throw err;
    }
  }

  async unprotectBranch(actor: Actor, project: Project, name: string): Promise<void> {
    await this.requireAccess(actor, project, ACCESS.maintainer, 'unprotect branches');
    const res = await this.db.deleteFrom('protected_branches').where('project_id', '=', project.id).where('name', '=', name).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound('Protected branch');
  }

  async protectedBranches(projectId: number): Promise<ProtectedBranch[]> {
    return this.db.selectFrom('protected_branches').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
  }

  /** One protected branch rule by its exact name (wildcards are names too); 404 if none. */
  async protectedBranch(projectId: number, name: string): Promise<ProtectedBranch> {
    const rule = await this.db.selectFrom('protected_branches').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    if (!rule) throw notFound('Protected branch');
    return rule;
  }

  /** What `user` may do on `branch` (a branch name or `refs/heads/…`) of the project. */
  async branchPermissions(user: User | null, project: Project, branch: string): Promise<BranchPermissions> {
    const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
    const role = await this.policy.projectAccess(user, project);
    return branchPermissions(await this.protectedBranches(project.id), name, role, user?.admin === 1);
  }

  /** Whether `ref` (a branch name or `refs/heads/…`) is protected in the project. */
  async isRefProtected(projectId: number, ref: string): Promise<boolean> {
    const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
    const patterns = (await this.protectedBranches(projectId)).map((b) => b.name);
    return isProtected(patterns, branch);
  }

  // ── environments ────────────────────────────────────────────────────────────────

  async createEnvironment(actor: Actor, project: Project, input: { name: string; tier?: EnvironmentTier | undefined }): Promise<Environment> {
    await this.requireAccess(actor, project, ACCESS.developer, 'create environments');
    const name = validateEnvironmentName(input.name);
    const existing = await this.findEnvironment(project.id, name);
    if (existing) throw conflict(`environment "${name}" already exists in project ${project.full_path}`);
    return this.insertEnvironment(project.id, name, input.tier);
  }

  /** The named environment, created on first use as a CI job's environment is. */
  async ensureEnvironment(projectId: number, name: string, tier?: EnvironmentTier): Promise<Environment> {
    validateEnvironmentName(name, 'environment');
    const existing = await this.findEnvironment(projectId, name);
    if (existing) return existing;
    try {
      return await this.insertEnvironment(projectId, name, tier);
    } catch (err) {
      // Two jobs of one new environment started together: the other one created it.
      const created = await this.findEnvironment(projectId, name);
      if (created) return created;
      throw err;
    }
  }

  findEnvironment(projectId: number, name: string): Promise<Environment | undefined> {
    return this.db.selectFrom('environments').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  listEnvironments(projectId: number): Promise<Environment[]> {
    return this.db.selectFrom('environments').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
  }

  private async insertEnvironment(projectId: number, name: string, tier: EnvironmentTier | undefined): Promise<Environment> {
    try {
      return await this.db
        .insertInto('environments')
        .values({ project_id: projectId, name, slug: environmentSlug(name), tier: tier ?? guessTier(name), created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`environment "${name}" already exists or its slug is taken`);
      throw err;
    }
  }
}

/** The rule a default branch gets: Maintainers push and merge (GitLab's "fully protected"). */
export const DEFAULT_BRANCH_PROTECTION = { push_access_level: PROTECTION_ACCESS.maintainer, merge_access_level: PROTECTION_ACCESS.maintainer } as const;

export interface NewProtectedBranch {
  name: string;
  push_access_level?: number | undefined;
  merge_access_level?: number | undefined;
}

/** A protected branch access level from the API; Maintainers when absent (GitLab's default). */
function branchLevel(level: number | undefined, field: string): number {
  if (level === undefined) return PROTECTION_ACCESS.maintainer;
  if (!BRANCH_ACCESS_LEVELS.includes(level)) {
    throw badRequest(`${field} must be one of ${BRANCH_ACCESS_LEVELS.map((l) => `${l} (${accessLevelDescription(l)})`).join(', ')}`);
  }
  return level;
}

export interface NamespaceWithName {
  namespace: Namespace;
  /** The names of the namespace's ancestors and its own, root first, joined by ` / `. */
  fullName: string;
}

export function nameWithNamespace(project: Project, namespaceFullName: string): string {
  return `${namespaceFullName} / ${project.name}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
