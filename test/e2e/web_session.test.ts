/**
 * The web UI's session against a real server: sign-in sets an HttpOnly, SameSite=Strict
 * cookie (Secure over HTTPS); the REST API takes it for reads, and for writes only with
 * the session's CSRF token; an expired or signed-out session is a 401; a token in the
 * headers still wins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { digestToken } from '../../src/modules/identity/tokens.js';

interface SignedIn {
  cookie: string;
  setCookie: string;
  csrf: string;
}

async function signIn(server: TestServer, body: Record<string, unknown> = { token: server.rootToken }): Promise<SignedIn> {
  const res = await server.fetch('/-/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const setCookie = res.headers.get('set-cookie') ?? '';
  const json = (await res.json()) as { csrf_token: string; user: { username: string } };
  return { cookie: setCookie.split(';')[0]!, setCookie, csrf: json.csrf_token };
}

function call(server: TestServer, session: SignedIn, method: string, path: string, options: { csrf?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = { Cookie: session.cookie };
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  if (csrf !== null) headers['X-CSRF-Token'] = csrf;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  return server.fetch(`/api/v4${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
}

describe('web session over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('sign-in sets the session cookie with its flags; the id is stored hashed', async () => {
    const session = await signIn(server);
    const flags = session.setCookie.split(';').map((s) => s.trim());
    assert.match(flags[0]!, /^kubegate_session=kgsess-[A-Za-z0-9]{32}$/);
    assert.ok(flags.includes('HttpOnly'), session.setCookie);
    assert.ok(flags.includes('SameSite=Strict'), session.setCookie);
    assert.ok(flags.includes('Path=/'), session.setCookie);
    assert.ok(flags.some((f) => f.startsWith('Expires=')), session.setCookie);
    assert.ok(!flags.includes('Secure'), 'plain HTTP: a Secure cookie would never come back');
    const id = flags[0]!.split('=')[1]!;
    const row = await server.app.store.db.selectFrom('web_sessions').selectAll().where('id_digest', '=', digestToken(id)).executeTakeFirst();
    assert.ok(row, 'the session is found by the digest of its id');
    const all = JSON.stringify(await server.app.store.db.selectFrom('web_sessions').selectAll().execute());
    assert.ok(!all.includes(id), 'the id itself is stored nowhere');
  });

  test('GET /-/session gives the user and the CSRF token back after a reload', async () => {
    const session = await signIn(server);
    const res = await server.fetch('/-/session', { headers: { Cookie: session.cookie } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { user: { username: string }; csrf_token: string };
    assert.equal(body.user.username, 'root');
    assert.equal(body.csrf_token, session.csrf);
    assert.equal((await server.fetch('/-/session')).status, 401);
  });

  test('reads need only the cookie; writes need the CSRF token too (missing or wrong → 403)', async () => {
    const session = await signIn(server);
    const user = await call(server, session, 'GET', '/user', { csrf: null });
    assert.equal(user.status, 200);
    assert.equal(((await user.json()) as { username: string }).username, 'root');

    const missing = await call(server, session, 'POST', '/groups', { csrf: null, body: { name: 'No CSRF', path: 'no-csrf' } });
    assert.equal(missing.status, 403);
    assert.match(((await missing.json()) as { message: string }).message, /X-CSRF-Token header is missing/);
    const wrong = await call(server, session, 'POST', '/groups', { csrf: 'not-the-token', body: { name: 'Wrong', path: 'wrong-csrf' } });
    assert.equal(wrong.status, 403);
    assert.match(((await wrong.json()) as { message: string }).message, /does not match this session/);
    // Nothing was created by the refused requests.
    assert.equal((await server.api('GET', '/groups/no-csrf')).status, 404);

    const ok = await call(server, session, 'POST', '/groups', { body: { name: 'With CSRF', path: 'with-csrf' } });
    assert.equal(ok.status, 201, await ok.clone().text());
    const del = await call(server, session, 'DELETE', '/personal_access_tokens/999999', { csrf: null });
    assert.equal(del.status, 403, 'DELETE is a write too');
  });

  test('an expired session is a 401 that says so', async () => {
    const session = await signIn(server);
    const id = session.cookie.split('=')[1]!;
    await server.app.store.db.updateTable('web_sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id_digest', '=', digestToken(id)).execute();
    const res = await call(server, session, 'GET', '/user');
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { message: string }).message, /your session expired at .*; sign in again/);
    const again = await server.fetch('/-/session', { headers: { Cookie: session.cookie } });
    assert.equal(again.status, 401);
    assert.match(again.headers.get('set-cookie') ?? '', /kubegate_session=;.*Expires=Thu, 01 Jan 1970/);
  });

  test('sign-out needs the CSRF token, deletes the session and clears the cookie', async () => {
    const session = await signIn(server);
    const id = session.cookie.split('=')[1]!;
    const forged = await server.fetch('/-/session', { method: 'DELETE', headers: { Cookie: session.cookie } });
    assert.equal(forged.status, 403);
    const out = await server.fetch('/-/session', { method: 'DELETE', headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /kubegate_session=;.*HttpOnly.*SameSite=Strict/);
    const row = await server.app.store.db.selectFrom('web_sessions').select('id').where('id_digest', '=', digestToken(id)).executeTakeFirst();
    assert.equal(row, undefined);
    const res = await call(server, session, 'GET', '/user');
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { message: string }).message, /session has ended/);
  });

  test('a session speaks for its token: read_api reads only, a revoked token ends it', async () => {
    const user = await server.api('POST', '/users', { username: 'reader', name: 'Reader' });
    const pat = await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'ui', scopes: ['read_api'] });
    const session = await signIn(server, { token: pat.body.token, username: 'reader' });
    assert.equal((await call(server, session, 'GET', '/user')).status, 200);
    const write = await call(server, session, 'POST', '/groups', { body: { name: 'R', path: 'reader-group' } });
    assert.equal(write.status, 403);
    assert.match(((await write.json()) as { message: string }).message, /insufficient_scope/);
    assert.equal((await server.api('DELETE', `/personal_access_tokens/${pat.body.id}`)).status, 204);
    const after = await call(server, session, 'GET', '/user');
    assert.equal(after.status, 401);
    assert.match(((await after.json()) as { message: string }).message, /revoked/);
  });

  test('a token in the headers wins over the cookie; a bad sign-in says why', async () => {
    const session = await signIn(server);
    const other = await server.api('POST', '/users', { username: 'tokenuser', name: 'Token User' });
    const pat = await server.api('POST', `/users/${other.body.id}/personal_access_tokens`, { name: 'cli', scopes: ['api'] });
    const res = await server.fetch('/api/v4/user', { headers: { Cookie: session.cookie, 'PRIVATE-TOKEN': pat.body.token } });
    assert.equal(((await res.json()) as { username: string }).username, 'tokenuser');

    const bad = await server.fetch('/-/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: 'kgpat-wrong' }) });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('set-cookie'), null);
    const missing = await server.fetch('/-/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { message: string }).message, /^token is missing/);
    // A cross-site form can only send form or text bodies: they are refused, so no one is signed in from elsewhere.
    const form = await server.fetch('/-/session', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${server.rootToken}` });
    assert.equal(form.status, 415);
  });
});

describe('web session over HTTPS', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ tls: true });
  });
  after(() => server.close());

  test('the cookie is Secure', async () => {
    const session = await signIn(server);
    assert.ok(session.setCookie.split(';').map((s) => s.trim()).includes('Secure'), session.setCookie);
    assert.equal((await call(server, session, 'GET', '/user')).status, 200);
  });
});
