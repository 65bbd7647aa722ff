/**
 * Full names of namespaces on both engines: names (not paths) of the ancestors and the
 * namespace, root first; one query for a whole list, however deep.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import { now, openStore, type Store } from './db.js';
import { namespaceFullNames } from './full_names.js';
import type { Namespace } from './schema.js';
import { ENGINES, engineFixture } from '../../test/helpers/postgres.js';

async function group(store: Store, name: string, path: string, parent?: Namespace): Promise<Namespace> {
  return store.db
    .insertInto('namespaces')
    .values({ kind: 'group', name, path, full_path: parent ? `${parent.full_path}/${path}` : path, parent_id: parent?.id ?? null, owner_user_id: null, visibility: 'private', description: '', created_at: now() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A plugin that counts the queries run through it. */
function counter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery(args) {
      this.count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

for (const engine of ENGINES) {
  describe(`namespace full names on ${engine}`, () => {
    const fx = engineFixture(engine);

    it('joins the names of the ancestors and the namespace, in one query for a list', async (t) => {
      if (fx.skipped(t)) return;
      const store = await openStore(fx.storeOptions);
      try {
        const platform = await group(store, 'Platform Team', 'platform');
        const clusters = await group(store, 'Clusters', 'clusters', platform);
        const prod = await group(store, 'Prod (EU)', 'prod', clusters);
        const other = await group(store, 'Other Things', 'other');
        const deep = await group(store, 'Deep One', 'deep', await group(store, 'Middle', 'middle', other));
        const user = await store.db
          .insertInto('namespaces')
          .values({ kind: 'user', name: 'Jane Doe', path: 'jane', full_path: 'jane', parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: now() })
          .returningAll()
          .executeTakeFirstOrThrow();

        const plugin = counter();
        const names = await namespaceFullNames(store.db.withPlugin(plugin), [prod, deep, clusters, user]);
        assert.equal(names.get(prod.id), 'Platform Team / Clusters / Prod (EU)');
        assert.equal(names.get(clusters.id), 'Platform Team / Clusters');
        assert.equal(names.get(deep.id), 'Other Things / Middle / Deep One');
        assert.equal(names.get(user.id), 'Jane Doe');
        assert.equal(plugin.count, 1, 'all the ancestors in one query');

        const roots = counter();
        assert.deepEqual([...(await namespaceFullNames(store.db.withPlugin(roots), [platform, other])).values()], ['Platform Team', 'Other Things']);
        assert.equal(roots.count, 0, 'top-level namespaces need no query');

        // A row whose full path does not match its ancestry (as after a move done by hand)
        // still gets its names by parent_id.
        const moved = await group(store, 'Moved', 'moved');
        await store.db.updateTable('namespaces').set({ parent_id: clusters.id }).where('id', '=', moved.id).execute();
        const movedRow = await store.db.selectFrom('namespaces').selectAll().where('id', '=', moved.id).executeTakeFirstOrThrow();
        assert.equal((await namespaceFullNames(store.db, [movedRow])).get(moved.id), 'Platform Team / Clusters / Moved');
      } finally {
        await store.close();
      }
    });
  });
}
