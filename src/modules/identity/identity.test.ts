/**
 * Users and personal access tokens on both engines: tokens are stored only as digests,
 * authenticate resolves good tokens and refuses revoked, expired and unknown ones, and
 * the root administrator is created once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../store/db.js';
import { IdentityService, MIN_ROOT_TOKEN_LENGTH } from './server.js';
import { digestToken, generateToken, TOKEN_PREFIX } from './tokens.js';
import { ENGINES, POSTGRES_MISSING, engineFixture, startPostgres } from '../../../test/helpers/postgres.js';
import { rejectsWith } from '../../../test/helpers/assertions.js';


for (const engine of ENGINES) {
  describe(`identity on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let identity: IdentityService;

    async function open(): Promise<void> {
      store ??= await openStore(fx.storeOptions);
      identity ??= new IdentityService(store.db);
    }
    after(() => store?.close());

    it('creates a user with its own namespace and route', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const user = await identity.createUser({ username: 'alice', name: 'Alice', email: 'alice@example.com' });
      assert.equal(user.username, 'alice');
      assert.equal(user.admin, 0);
      const ns = await store.db.selectFrom('namespaces').selectAll().where('id', '=', user.namespace_id!).executeTakeFirstOrThrow();
      assert.equal(ns.kind, 'user');
      assert.equal(ns.full_path, 'alice');
      assert.equal(ns.owner_user_id, user.id);
      const route = await store.db.selectFrom('routes').selectAll().where('path_lower', '=', 'alice').executeTakeFirstOrThrow();
      assert.equal(route.source_id, ns.id);
    });

    it('refuses a taken username, also in another case, and leaves nothing behind', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      await identity.createUser({ username: 'bob', name: 'Bob' });
      const before = await store.db.selectFrom('namespaces').select('id').execute();
      await assert.rejects(identity.createUser({ username: 'bob', name: 'Bob 2' }), rejectsWith(409, /bob/));
      await assert.rejects(identity.createUser({ username: 'BOB', name: 'Bob 3' }), rejectsWith(409, /BOB/));
      const after = await store.db.selectFrom('namespaces').select('id').execute();
      assert.deepEqual(after, before, 'no namespace was half-created');
      assert.equal((await store.db.selectFrom('users').select('id').where('username', '=', 'BOB').execute()).length, 0);
    });

    it('refuses an invalid username with a 400 naming the field', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      await assert.rejects(identity.createUser({ username: '-bad', name: 'Bad' }), rejectsWith(400, /^username /));
      await assert.rejects(identity.createUser({ username: 'a b', name: 'Bad' }), rejectsWith(400, /^username /));
    });

    it('stores a token as its SHA-256 digest only, and authenticates it', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const user = await identity.createUser({ username: 'carol', name: 'Carol' });
      const { row, token } = await identity.createPersonalAccessToken(user.id, { name: 'ci', scopes: ['api', 'read_repository'] });
      assert.ok(token.startsWith(TOKEN_PREFIX.personal));
      const stored = await store.db.selectFrom('personal_access_tokens').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      assert.equal(stored.token_digest, digestToken(token));
      assert.equal(stored.token_digest.length, 64);
      assert.ok(!Object.values(stored).some((v) => typeof v === 'string' && v.includes(token)), 'the token itself is in no column');
      assert.equal(stored.last_used_at, null);

      const actor = await identity.authenticate(token);
      assert.equal(actor.user?.id, user.id);
      assert.deepEqual([...actor.scopes].sort(), ['api', 'read_repository']);
      const used = await store.db.selectFrom('personal_access_tokens').select('last_used_at').where('id', '=', row.id).executeTakeFirstOrThrow();
      assert.ok(used.last_used_at, 'last_used_at is recorded');
    });

    it('refuses unknown, revoked and expired tokens with 401s that say which', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const user = await identity.createUser({ username: 'dave', name: 'Dave' });
      await assert.rejects(identity.authenticate(generateToken(TOKEN_PREFIX.personal)), rejectsWith(401, /not valid/));

      const revoked = await identity.createPersonalAccessToken(user.id, { name: 'old', scopes: ['api'] });
      await identity.authenticate(revoked.token);
      await identity.revokePersonalAccessToken(user.id, revoked.row.id);
      await assert.rejects(identity.authenticate(revoked.token), rejectsWith(401, /revoked/));

      const expired = await identity.createPersonalAccessToken(user.id, { name: 'expired', scopes: ['api'], expiresAt: '2020-01-01' });
      await assert.rejects(identity.authenticate(expired.token), rejectsWith(401, /expired/));

      const future = await identity.createPersonalAccessToken(user.id, { name: 'future', scopes: ['api'], expiresAt: '2999-12-31' });
      assert.equal((await identity.authenticate(future.token)).user?.id, user.id);
    });

    it('revokes only the owner’s token', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const owner = await identity.createUser({ username: 'erin', name: 'Erin' });
      const other = await identity.createUser({ username: 'frank', name: 'Frank' });
      const { row, token } = await identity.createPersonalAccessToken(owner.id, { name: 't', scopes: ['api'] });
      await assert.rejects(identity.revokePersonalAccessToken(other.id, row.id), rejectsWith(404, /Token/));
      assert.equal((await identity.authenticate(token)).user?.id, owner.id);
    });

    it('refuses a token of a blocked user', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const user = await identity.createUser({ username: 'grace', name: 'Grace' });
      const { token } = await identity.createPersonalAccessToken(user.id, { name: 't', scopes: ['api'] });
      await store.db.updateTable('users').set({ state: 'blocked' }).where('id', '=', user.id).execute();
      await assert.rejects(identity.authenticate(token), rejectsWith(403, /blocked/));
    });

    it('creates root once: a generated token the first time, nothing after', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      await assert.rejects(identity.ensureRoot('x'.repeat(MIN_ROOT_TOKEN_LENGTH - 1)), rejectsWith(400, /KUBEGATE_ROOT_TOKEN must be at least 20/));
      assert.equal(await identity.findUser('root'), undefined, 'a refused root token creates no root');

      const first = await identity.ensureRoot(undefined);
      assert.equal(first.created, true);
      assert.ok(first.generatedToken);
      const actor = await identity.authenticate(first.generatedToken);
      assert.equal(actor.user?.username, 'root');
      assert.equal(actor.user?.admin, 1);

      const second = await identity.ensureRoot(undefined);
      assert.deepEqual(second, { created: false });
      const rootTokens = await identity.listPersonalAccessTokens(actor.user.id);
      assert.equal(rootTokens.length, 1, 'no second root token');
    });
  });
}

// Replicas share PostgreSQL; an SQLite data dir belongs to one server process.
describe('identity on PostgreSQL with replicas', () => {
  it('migrates once and creates root once when several replicas start at the same time', async (t) => {
    const db = await startPostgres();
    if (!db) return t.skip(POSTGRES_MISSING);
    const own = { dataDir: await mkdtemp(join(tmpdir(), 'kubegate-replicas-')), databaseUrl: db.url };
    // Each replica migrates the fresh database and creates root, all at once.
    const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(own)));
    const first = stores[0]!;
    t.after(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await db.stop();
      await rm(own.dataDir, { recursive: true, force: true });
    });
    const results = await Promise.all(stores.map((s) => new IdentityService(s.db).ensureRoot('kgpat-shared-root-token-for-replicas')));
    assert.equal(results.filter((r) => r.created).length, 1, JSON.stringify(results));
    const actor = await new IdentityService(first.db).authenticate('kgpat-shared-root-token-for-replicas');
    assert.equal(actor.user?.username, 'root');
  });
});
