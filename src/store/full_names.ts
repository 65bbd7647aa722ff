/**
 * GitLab's display names of namespaces: the names (not the paths) of the namespace's
 * ancestors and its own, root first, joined by ` / ` ("Platform Team / Clusters"). A
 * user namespace's is its name, the user's. Computed on read, so a rename shows at once.
 */
import type { Kysely } from 'kysely';
import type { Database, Namespace } from './schema.js';

export type NamespaceNameRow = Pick<Namespace, 'id' | 'name' | 'full_path' | 'parent_id'>;

/** Bound parameters per query, well below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

/**
 * The full name of each of `namespaces`, by id. Their ancestors are loaded together, in
 * one query by the set of their full paths' prefixes (a child's full path is its
 * parent's plus `/<path>`), however many namespaces are given; the names are then
 * chained by `parent_id`, which stays the truth: an ancestor the prefixes did not find is
 * loaded by id.
 */
export async function namespaceFullNames(db: Kysely<Database>, namespaces: readonly NamespaceNameRow[]): Promise<Map<number, string>> {
  const known = new Map<number, NamespaceNameRow>();
  for (const ns of namespaces) known.set(ns.id, ns);

  const prefixes = new Set<string>();
  for (const ns of namespaces) {
    if (ns.parent_id === null || known.has(ns.parent_id)) continue;
    const parts = ns.full_path.split('/');
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('/'));
  }
  for (const ns of namespaces) prefixes.delete(ns.full_path);
  for (const chunk of chunks([...prefixes])) {
    const rows = await db.selectFrom('namespaces').select(['id', 'name', 'full_path', 'parent_id']).where('full_path', 'in', chunk).execute();
    for (const row of rows) known.set(row.id, row);
  }

  // Normally nothing is missing here; walk up by id for whatever is (at most one query per level).
  const tried = new Set<number>();
  for (;;) {
    const missing = new Set<number>();
    for (const ns of known.values()) if (ns.parent_id !== null && !known.has(ns.parent_id) && !tried.has(ns.parent_id)) missing.add(ns.parent_id);
    if (missing.size === 0) break;
    for (const chunk of chunks([...missing])) {
      for (const id of chunk) tried.add(id);
      const rows = await db.selectFrom('namespaces').select(['id', 'name', 'full_path', 'parent_id']).where('id', 'in', chunk).execute();
      for (const row of rows) known.set(row.id, row);
    }
  }

  const names = new Map<number, string>();
  for (const ns of namespaces) {
    const chain: string[] = [];
    const seen = new Set<number>();
    for (let at: NamespaceNameRow | undefined = ns; at && !seen.has(at.id); at = at.parent_id === null ? undefined : known.get(at.parent_id)) {
      seen.add(at.id);
      chain.push(at.name);
    }
    names.set(ns.id, chain.reverse().join(' / '));
  }
  return names;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
