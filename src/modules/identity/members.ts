/**
 * Memberships on groups and projects. Managing members takes Maintainer; only an Owner
 * may make someone an Owner (GitLab's rule, so nobody hands out more than they hold).
 */
import type { Kysely } from 'kysely';
import type { Database, Member } from '../../store/schema.js';
import { isUniqueViolation, now } from '../../store/db.js';
import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { ACCESS, VALID_ACCESS_LEVELS } from './access.js';

export type MemberSource = { kind: 'namespace' | 'project'; id: number; fullPath: string };

export class MemberService {
  constructor(private readonly db: Kysely<Database>) {}

  /** `actorLevel` is the caller's effective level on the source, computed by the caller. */
  async add(actorLevel: number, source: MemberSource, userId: number, accessLevel: number): Promise<Member> {
    if (!VALID_ACCESS_LEVELS.includes(accessLevel)) {
      throw badRequest('access_level does not have a valid value; use 10 (guest), 20 (reporter), 30 (developer), 40 (maintainer) or 50 (owner)');
    }
    if (actorLevel < ACCESS.maintainer) throw forbidden(`403 Forbidden: you need at least the Maintainer role on ${source.fullPath} to add members`);
    if (accessLevel === ACCESS.owner && actorLevel < ACCESS.owner) throw forbidden('403 Forbidden: only an Owner can add an Owner');
    const user = await this.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
    if (!user) throw notFound('User');
    try {
      return await this.db
        .insertInto('members')
        .values({ source_kind: source.kind, source_id: source.id, user_id: userId, access_level: accessLevel, created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`user ${userId} is already a member of ${source.fullPath}; change their role instead`);
      throw err;
    }
  }

  list(source: MemberSource) {
    return this.db
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select(['users.id', 'users.username', 'users.name', 'users.state', 'members.access_level', 'members.created_at'])
      .where('members.source_kind', '=', source.kind)
      .where('members.source_id', '=', source.id)
      .orderBy('users.id')
      .execute();
  }
}
