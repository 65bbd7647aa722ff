/**
 * Groups: nested namespaces that hold projects and pass roles down to them.
 */
import type { Kysely } from 'kysely';
import { MAX_INT } from '../../lib/validate.js';
import type { Database, Namespace, Visibility } from '../../store/schema.js';
import { now, transaction } from '../../store/db.js';
import { namespaceFullNames } from '../../store/full_names.js';
import { badRequest, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import type { Actor } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import { MAX_NESTING_DEPTH, validateName, validatePath } from './paths.js';
import { assertPathFree, claimRoute, findRoute, pathConflict } from './routes.js';
import { VISIBILITY_RANK } from './visibility.js';

export interface NewGroup {
  name: string;
  path: string;
  parent_id?: number | null | undefined;
  visibility?: Visibility | undefined;
  description?: string | undefined;
}

export class GroupService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policy: Policy,
  ) {}

  async create(actor: Actor, input: NewGroup): Promise<Namespace> {
    const user = actor.user;
    if (!user) throw unauthorized();
    validateName(input.name);
    const parentId = input.parent_id ?? null;
    validatePath(input.path, 'path', { topLevel: parentId === null });
    // The checks read through the policy, outside the transaction: on SQLite the
    // transaction holds the only connection, so a read through another handle inside it
    // would wait forever. The insert re-checks what matters (the route, the foreign key).
    let fullPath = input.path;
    let visibility: Visibility = input.visibility ?? 'private';
    if (parentId !== null) {
      const parent = await this.findVisible(actor, parentId, 'Parent Group');
      if ((await this.policy.namespaceAccess(user, parent.id)) < ACCESS.maintainer) {
        throw forbidden('403 Forbidden: you need at least the Maintainer role on the parent group to create a subgroup');
      }
      const depth = (await this.policy.ancestry(parent.id)).length;
      if (depth >= MAX_NESTING_DEPTH) throw badRequest(`parent_id: groups can be nested at most ${MAX_NESTING_DEPTH} levels deep`);
      if (input.visibility && VISIBILITY_RANK[input.visibility] > VISIBILITY_RANK[parent.visibility]) {
        throw badRequest(`visibility: "${input.visibility}" is not allowed since the parent group is ${parent.visibility}`);
      }
      if (!input.visibility) visibility = parent.visibility;
      fullPath = `${parent.full_path}/${input.path}`;
    }
    return transaction(this.db, async (trx) => {
      // A taken path (in any case, by a user, group or project) is a 409, also when a
      // racing request got it first and the namespace's own unique full_path trips.
      await assertPathFree(trx, fullPath);
      const group = await trx
        .insertInto('namespaces')
        .values({ kind: 'group', name: input.name, path: input.path, full_path: fullPath, parent_id: parentId, owner_user_id: null, visibility, description: input.description ?? '', created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch(pathConflict(fullPath));
      await claimRoute(trx, fullPath, 'namespace', group.id);
      // The creator owns what they create, as in GitLab.
      await trx.insertInto('members').values({ source_kind: 'namespace', source_id: group.id, user_id: user.id, access_level: ACCESS.owner, created_at: now() }).execute();
      return group;
    });
  }

  /** A group by numeric id or full path; 404 when missing or not visible to the actor. */
  async findVisible(actor: Actor, idOrPath: number | string, what = 'Group', db: Kysely<Database> = this.db): Promise<Namespace> {
    const group = await this.lookup(idOrPath, db);
    if (!group || !(await this.policy.canSeeGroup(actor.user, group))) throw notFound(what);
    return group;
  }

  async lookup(idOrPath: number | string, db: Kysely<Database> = this.db): Promise<Namespace | undefined> {
    let id: number | undefined;
    if (typeof idOrPath === 'number' || /^\d+$/.test(idOrPath)) id = Number(idOrPath);
    else id = (await findRoute(db, idOrPath))?.source_id;
    // An id beyond what the store holds names nothing (and must not reach PostgreSQL).
    if (id === undefined || id > MAX_INT) return undefined;
    return db.selectFrom('namespaces').selectAll().where('id', '=', id).where('kind', '=', 'group').executeTakeFirst();
  }

  /** Groups the actor can see, in id order. */
  async listVisible(actor: Actor, filter: { parentId?: number } = {}): Promise<Namespace[]> {
    let q = this.db.selectFrom('namespaces').selectAll().where('kind', '=', 'group').orderBy('id');
    if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
    const all = await q.execute();
    if (actor.user?.admin) return all;
    const scope = await this.policy.visibilityScope(actor.user);
    return all.filter((row) => scope.canSeeGroup(row));
  }

  /** GitLab's `full_name` of each group (its ancestors' names and its own), by id, in one query for any number. */
  fullNames(groups: readonly Namespace[]): Promise<Map<number, string>> {
    return namespaceFullNames(this.db, groups);
  }

  async requireAccess(actor: Actor, group: Namespace, level: number, action: string): Promise<void> {
    if ((await this.policy.namespaceAccess(actor.user, group.id)) < level) {
      throw forbidden(`403 Forbidden: you need a higher role on group ${group.full_path} to ${action}`);
    }
  }
}
