/**
 * The store on both engines: the schema comes up by migrations, reopening changes
 * nothing, transactions keep all or nothing, and unique violations are recognised the
 * same way on SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_FILE, isUniqueViolation, now, openStore, transaction } from './db.js';
import { isKubegateError } from '../lib/errors.js';
import { migrationProvider } from './migrations/index.js';
import { ENGINES, engineFixture } from '../../test/helpers/postgres.js';

const TABLES = ['environments', 'members', 'namespaces', 'personal_access_tokens', 'projects', 'protected_branches', 'routes', 'users'];

for (const engine of ENGINES) {
  describe(`store on ${engine}`, () => {
    const fx = engineFixture(engine);

    it('applies the migrations on first open and changes nothing when reopened', async (t) => {
      if (fx.skipped(t)) return;
      const expected = Object.keys(await migrationProvider(engine).getMigrations()).sort();
      assert.ok(expected.includes('0001_foundation'));
      const first = await openStore(fx.storeOptions);
      try {
        assert.equal(first.engine, engine);
        const applied = await first.db.selectFrom('kysely_migration' as never).select(sql<string>`name`.as('name')).execute();
        assert.deepEqual(applied.map((r) => r.name).sort(), expected, 'every migration is applied');
        // Every table is there and usable.
        for (const table of TABLES) await first.db.selectFrom(table as 'users').select(sql`count(*)`.as('n')).execute();
        await first.db.insertInto('namespaces').values({ kind: 'group', name: 'Kept', path: 'kept', full_path: 'kept', parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: now() }).execute();
      } finally {
        await first.close();
      }

      const second = await openStore(fx.storeOptions);
      try {
        const applied = await second.db.selectFrom('kysely_migration' as never).select(sql<string>`name`.as('name')).execute();
        assert.deepEqual(applied.map((r) => r.name).sort(), expected, 'no migration is recorded twice');
        const kept = await second.db.selectFrom('namespaces').select('full_path').execute();
        assert.deepEqual(kept.map((r) => r.full_path), ['kept'], 'data written before the reopen is still there');
      } finally {
        await second.close();
      }
    });

    it('rolls a transaction back completely when it throws', async (t) => {
      if (fx.skipped(t)) return;
      const store = await openStore(fx.storeOptions);
      try {
        await assert.rejects(
          transaction(store.db, async (trx) => {
            await trx.insertInto('namespaces').values({ kind: 'group', name: 'Half', path: 'half', full_path: 'half', parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: now() }).execute();
            await trx.insertInto('routes').values({ path_lower: 'half', source_kind: 'namespace', source_id: 1 }).execute();
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await store.db.selectFrom('namespaces').select('id').where('full_path', '=', 'half').executeTakeFirst(), undefined);
        assert.equal(await store.db.selectFrom('routes').select('path_lower').where('path_lower', '=', 'half').executeTakeFirst(), undefined);
      } finally {
        await store.close();
      }
    });

    it('joins an outer transaction instead of committing on its own', async (t) => {
      if (fx.skipped(t)) return;
      const store = await openStore(fx.storeOptions);
      try {
        await assert.rejects(
          transaction(store.db, async (outer) => {
            await transaction(outer, async (inner) => {
              await inner.insertInto('routes').values({ path_lower: 'inner-write', source_kind: 'namespace', source_id: 99 }).execute();
            });
            throw new Error('outer fails after the inner part finished');
          }),
        );
        assert.equal(await store.db.selectFrom('routes').select('path_lower').where('path_lower', '=', 'inner-write').executeTakeFirst(), undefined);
      } finally {
        await store.close();
      }
    });

    it('recognises a unique violation', async (t) => {
      if (fx.skipped(t)) return;
      const store = await openStore(fx.storeOptions);
      try {
        await store.db.insertInto('routes').values({ path_lower: 'twice', source_kind: 'namespace', source_id: 1000 }).execute();
        const err = await store.db
          .insertInto('routes')
          .values({ path_lower: 'twice', source_kind: 'namespace', source_id: 1001 })
          .execute()
          .then(() => undefined, (e: unknown) => e);
        assert.ok(err, 'the second insert fails');
        assert.equal(isUniqueViolation(err), true, `recognised as a unique violation: ${String(err)}`);
        assert.equal(isUniqueViolation(new Error('other')), false);
      } finally {
        await store.close();
      }
    });
  });
}

describe('opening a store that cannot work', () => {
  it('names an unreachable PostgreSQL without its password', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kubegate-store-bad-'));
    try {
      await assert.rejects(openStore({ dataDir, databaseUrl: 'postgres://kubegate:hunter2secret@127.0.0.1:1/kubegate' }), (err: unknown) => {
        assert.ok(isKubegateError(err));
        assert.equal(err.status, 503);
        assert.match(err.message, /^cannot use the database at postgres:\/\/kubegate:\*\*\*@127\.0\.0\.1:1\/kubegate: /);
        assert.doesNotMatch(err.message, /hunter2secret/);
        return true;
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('names an SQLite file that cannot be opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kubegate-store-bad-'));
    try {
      // A directory where the database file should be.
      await mkdir(join(dataDir, SQLITE_FILE));
      await assert.rejects(openStore({ dataDir, databaseUrl: undefined }), (err: unknown) => {
        assert.ok(isKubegateError(err), String(err));
        assert.match(err.message, new RegExp(`${SQLITE_FILE}`));
        return true;
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
