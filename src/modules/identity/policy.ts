/**
 * Who may see and do what. Roles on a group apply to its subgroups and projects; the
 * highest role found on the way up counts. Admins may do everything. Things a caller may
 * not see are answered 404 by the API, as GitLab does, so their existence does not leak.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Namespace, Project, User } from '../../store/schema.js';
import { ACCESS } from './access.js';
import { MAX_NESTING_DEPTH } from '../groups/paths.js';

export class Policy {
  constructor(private readonly db: Kysely<Database>) {}

  /** The namespace and its ancestors, nearest first. */
  async ancestry(namespaceId: number): Promise<Namespace[]> {
    const chain: Namespace[] = [];
    let id: number | null = namespaceId;
    while (id !== null && chain.length <= MAX_NESTING_DEPTH) {
      const ns: Namespace | undefined = await this.db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst();
      if (!ns) break;
      chain.push(ns);
      id = ns.parent_id;
    }
    return chain;
  }

  /** The user's effective access level on a namespace (0 when none). */
  async namespaceAccess(user: User | null, namespaceId: number): Promise<number> {
    if (!user) return ACCESS.none;
    if (user.admin) return ACCESS.owner;
    const chain = await this.ancestry(namespaceId);
    const own = chain.find((ns) => ns.kind === 'user');
    if (own && own.owner_user_id === user.id) return ACCESS.owner;
    const groupIds = chain.filter((ns) => ns.kind === 'group').map((ns) => ns.id);
    if (groupIds.length === 0) return ACCESS.none;
    const row = await this.db
      .selectFrom('members')
      .select((eb) => eb.fn.max('access_level').as('level'))
      .where('source_kind', '=', 'namespace')
      .where('source_id', 'in', groupIds)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    return Number(row?.level ?? 0);
  }

  async projectAccess(user: User | null, project: Project): Promise<number> {
    if (!user) return ACCESS.none;
    if (user.admin) return ACCESS.owner;
    const inherited = await this.namespaceAccess(user, project.namespace_id);
    const direct = await this.db
      .selectFrom('members')
      .select('access_level')
      .where('source_kind', '=', 'project')
      .where('source_id', '=', project.id)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    return Math.max(inherited, direct?.access_level ?? 0);
  }

  /** Whether the project is visible at all: members, admins, and by visibility. */
  async canSeeProject(user: User | null, project: Project): Promise<boolean> {
    if (project.visibility === 'public') return true;
    if (user && project.visibility === 'internal') return true;
    return (await this.projectAccess(user, project)) >= ACCESS.guest;
  }

  /**
   * Whether the group is visible: by visibility, membership on it or above, or
   * membership anywhere below it (a project member sees the groups on the way).
   */
  async canSeeGroup(user: User | null, group: Namespace): Promise<boolean> {
    if (group.visibility === 'public') return true;
    if (!user) return false;
    if (group.visibility === 'internal') return true;
    if ((await this.namespaceAccess(user, group.id)) >= ACCESS.guest) return true;
    // A prefix comparison, not LIKE: paths may contain '_', a LIKE wildcard.
    const prefix = `${group.full_path.toLowerCase()}/`;
    const under = (column: string) => sql<boolean>`substr(lower(${sql.ref(column)}), 1, ${prefix.length}) = ${prefix}`;
    const below = await this.db
      .selectFrom('members')
      .innerJoin('namespaces', (j) => j.onRef('namespaces.id', '=', 'members.source_id').on('members.source_kind', '=', 'namespace'))
      .select('members.id')
      .where('members.user_id', '=', user.id)
      .where(under('namespaces.full_path'))
      .limit(1)
      .executeTakeFirst();
    if (below) return true;
    const project = await this.db
      .selectFrom('members')
      .innerJoin('projects', (j) => j.onRef('projects.id', '=', 'members.source_id').on('members.source_kind', '=', 'project'))
      .select('members.id')
      .where('members.user_id', '=', user.id)
      .where(under('projects.full_path'))
      .limit(1)
      .executeTakeFirst();
    return project !== undefined;
  }

  /**
   * The user's memberships, loaded once, to decide visibility of many rows without a
   * query per row (lists). Same rules as `canSeeProject` / `canSeeGroup`.
   */
  async visibilityScope(user: User | null): Promise<VisibilityScope> {
    if (!user) return new VisibilityScope(null, [], new Set(), []);
    const groups = await this.db
      .selectFrom('members')
      .innerJoin('namespaces', (j) => j.onRef('namespaces.id', '=', 'members.source_id').on('members.source_kind', '=', 'namespace'))
      .select('namespaces.full_path')
      .where('members.user_id', '=', user.id)
      .execute();
    const projects = await this.db
      .selectFrom('members')
      .innerJoin('projects', (j) => j.onRef('projects.id', '=', 'members.source_id').on('members.source_kind', '=', 'project'))
      .select(['projects.id', 'projects.full_path'])
      .where('members.user_id', '=', user.id)
      .execute();
    const own = user.namespace_id === null ? undefined : await this.db.selectFrom('namespaces').select('full_path').where('id', '=', user.namespace_id).executeTakeFirst();
    const namespacePaths = [...groups.map((g) => g.full_path.toLowerCase()), ...(own ? [own.full_path.toLowerCase()] : [])];
    return new VisibilityScope(user, namespacePaths, new Set(projects.map((p) => p.id)), projects.map((p) => p.full_path.toLowerCase()));
  }
}

export class VisibilityScope {
  constructor(
    private readonly user: User | null,
    /** Lower-cased full paths of namespaces where the user has a role (or owns). */
    private readonly namespacePaths: readonly string[],
    private readonly projectIds: ReadonlySet<number>,
    private readonly projectPaths: readonly string[],
  ) {}

  canSeeProject(project: Project): boolean {
    if (project.visibility === 'public' || this.user?.admin) return true;
    if (!this.user) return false;
    if (project.visibility === 'internal' || this.projectIds.has(project.id)) return true;
    const path = project.full_path.toLowerCase();
    return this.namespacePaths.some((ns) => path.startsWith(`${ns}/`));
  }

  canSeeGroup(group: Namespace): boolean {
    if (group.visibility === 'public' || this.user?.admin) return true;
    if (!this.user) return false;
    if (group.visibility === 'internal') return true;
    const path = group.full_path.toLowerCase();
    const below = `${path}/`;
    return (
      this.namespacePaths.some((ns) => path === ns || path.startsWith(`${ns}/`) || ns.startsWith(below)) ||
      this.projectPaths.some((p) => p.startsWith(below))
    );
  }
}
