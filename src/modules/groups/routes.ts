import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { conflict } from '../../lib/errors.js';
import { isUniqueViolation } from '../../store/db.js';

/**
 * Reserves a full path for a namespace or project. Paths are unique regardless of case
 * across users, groups and projects; a taken one is a 409 that names it. Call inside the
 * transaction that creates the thing, so a refused path leaves nothing half-created.
 */
export async function claimRoute(db: Kysely<Database>, fullPath: string, kind: 'namespace' | 'project', id: number): Promise<void> {
  const pathLower = fullPath.toLowerCase();
  const taken = await db.selectFrom('routes').select('source_kind').where('path_lower', '=', pathLower).executeTakeFirst();
  if (taken) throw conflict(`path "${fullPath}" has already been taken; choose another path`);
  try {
    await db.insertInto('routes').values({ path_lower: pathLower, source_kind: kind, source_id: id }).execute();
  } catch (err) {
    // Two requests raced for the same path; the loser gets the same answer as above.
    if (isUniqueViolation(err)) throw conflict(`path "${fullPath}" has already been taken; choose another path`);
    throw err;
  }
}

export async function findRoute(db: Kysely<Database>, fullPath: string) {
  return db.selectFrom('routes').selectAll().where('path_lower', '=', fullPath.toLowerCase()).executeTakeFirst();
}
