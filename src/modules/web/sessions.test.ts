/**
 * Web sessions on both engines: only the id's digest is stored, a session ends at its
 * expiry, with its token (revoked) and at sign-out, and it carries its token's scopes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../store/db.js';
import { IdentityService } from '../identity/server.js';
import { digestToken } from '../identity/tokens.js';
import { ENGINES, engineFixture } from '../../../test/helpers/postgres.js';
import { rejectsWith } from '../../../test/helpers/assertions.js';
import { WebSessions, csrfTokenFor } from './sessions.js';
import { SESSION_TTL_MS } from './defaults.js';

for (const engine of ENGINES) {
  describe(`web sessions on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let identity: IdentityService;
    let now = Date.parse('2026-05-01T09:00:00Z');
    let sessions: WebSessions;
    let n = 0;

    async function open(): Promise<void> {
      store ??= await openStore(fx.storeOptions);
      identity ??= new IdentityService(store.db);
      sessions ??= new WebSessions(store.db, identity, { clock: () => now });
    }
    after(() => store?.close());

    async function userWithToken(scopes: Array<'api' | 'read_api' | 'read_repository'> = ['api']) {
      n += 1;
      const user = await identity.createUser({ username: `user${n}`, name: `User ${n}` });
      const { row, token } = await identity.createPersonalAccessToken(user.id, { name: 'ui', scopes });
      return { user, token, tokenId: row.id };
    }

    it('stores only a digest of the session id, and the CSRF token is derived from it', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { user, token } = await userWithToken();
      const session = await sessions.signIn({ token });
      assert.match(session.sessionId, /^kgsess-[A-Za-z0-9]{32}$/);
      const rows = await store.db.selectFrom('web_sessions').selectAll().where('user_id', '=', user.id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.id_digest, digestToken(session.sessionId));
      assert.ok(!JSON.stringify(rows).includes(session.sessionId));
      assert.equal(session.csrfToken, csrfTokenFor(session.sessionId));
      assert.notEqual(session.csrfToken, rows[0]!.id_digest);
      assert.equal(session.expiresAt.getTime(), now + SESSION_TTL_MS);
      const resolved = await sessions.resolve(session.sessionId);
      assert.equal(resolved.actor.user.id, user.id);
      assert.equal(resolved.csrfToken, session.csrfToken);
    });

    it('expires after its lifetime, saying so, and the row goes', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { token } = await userWithToken();
      const session = await sessions.signIn({ token });
      now += SESSION_TTL_MS - 1;
      await sessions.resolve(session.sessionId);
      now += 1;
      await assert.rejects(sessions.resolve(session.sessionId), rejectsWith(401, /your session expired at .*; sign in again/));
      const left = await store.db.selectFrom('web_sessions').select('id').where('id_digest', '=', digestToken(session.sessionId)).execute();
      assert.deepEqual(left, []);
    });

    it('ends with its token: revoked token, no session', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { user, token, tokenId } = await userWithToken();
      const session = await sessions.signIn({ token });
      await identity.revokePersonalAccessToken(user.id, tokenId);
      await assert.rejects(sessions.resolve(session.sessionId), rejectsWith(401, /revoked/));
    });

    it('ends at sign-out; unknown ids are refused', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { token } = await userWithToken();
      const session = await sessions.signIn({ token });
      await sessions.signOut(session.sessionId);
      await assert.rejects(sessions.resolve(session.sessionId), rejectsWith(401, /session has ended/));
      await assert.rejects(sessions.resolve('kgsess-unknown'), rejectsWith(401, /sign in again/));
    });

    it('checks the user name when one is given, and the token\'s scopes', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { user, token } = await userWithToken();
      await assert.rejects(sessions.signIn({ token, username: 'someone-else' }), rejectsWith(401, /does not belong to user "someone-else"/));
      const ok = await sessions.signIn({ token, username: user.username.toUpperCase() });
      assert.equal(ok.actor.user.id, user.id);
      const gitOnly = await userWithToken(['read_repository']);
      await assert.rejects(sessions.signIn({ token: gitOnly.token }), rejectsWith(403, /neither the api nor the read_api scope/));
      const reader = await userWithToken(['read_api']);
      const readOnly = await sessions.signIn({ token: reader.token });
      assert.deepEqual([...readOnly.actor.scopes], ['read_api']);
      await assert.rejects(sessions.signIn({ token: 'kgpat-not-a-token' }), rejectsWith(401, /token is not valid/));
    });

    it('removes expired sessions when someone signs in', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const { user, token } = await userWithToken();
      await sessions.signIn({ token });
      now += SESSION_TTL_MS + 1;
      await sessions.signIn({ token });
      const rows = await store.db.selectFrom('web_sessions').select('expires_at').where('user_id', '=', user.id).execute();
      assert.equal(rows.length, 1);
      assert.ok(Date.parse(rows[0]!.expires_at) > now);
    });
  });
}
