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
  await assertPathFree(db, fullPath);
  const pathLower = fullPath.toLowerCase();
  await db.insertInto('routes').values({ path_lower: pathLower, source_kind: kind, source_id: id }).execute().catch(pathConflict(fullPath));
}

/** Throws the 409 when the path is taken; call before inserting the row that gets it. */
export async function assertPathFree(db: Kysely<Database>, fullPath: string): Promise<void> {
  const taken = await db.selectFrom('routes').select('source_kind').where('path_lower', '=', fullPath.toLowerCase()).executeTakeFirst();
  if (taken) throw takenPath(fullPath);
}

/**
 * For `.catch()` on an insert of a row with a unique path: two requests raced for the
 * same path, and the loser gets the same 409 as if it had come second.
 */
export function pathConflict(fullPath: string) {
  return function rethrowAsConflict(err: unknown): never {
    if (isUniqueViolation(err)) throw takenPath(fullPath);
    throw err;
  };
}

function takenPath(fullPath: string) {
  return conflict(`path "${fullPath}" has already been taken; choose another path`);
}

export async function findRoute(db: Kysely<Database>, fullPath: string) {
  return db.selectFrom('routes').selectAll().where('path_lower', '=', fullPath.toLowerCase()).executeTakeFirst();
}
