import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideGitAccess, gitToken, PROJECT_NOT_FOUND, type GitAccessFacts } from './auth.js';
import { KubegateError } from '../../lib/errors.js';
import type { PatScope } from '../identity/access.js';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

test('gitToken: the basic-auth password, whatever the user name; Bearer and PRIVATE-TOKEN too', () => {
  assert.equal(gitToken(basic('anyone', 'kgpat-secret')), 'kgpat-secret');
  assert.equal(gitToken(basic('oauth2', 'a:b')), 'a:b', 'only the first colon separates');
  assert.equal(gitToken({ authorization: 'Bearer kgpat-x' }), 'kgpat-x');
  assert.equal(gitToken({ 'private-token': 'kgpat-y' }), 'kgpat-y');
  assert.equal(gitToken({}), undefined);
});

test('gitToken: an empty password or a malformed header is a 401', () => {
  const is401 = (err: unknown) => err instanceof KubegateError && err.status === 401;
  assert.throws(() => gitToken(basic('root', '')), is401);
  assert.throws(() => gitToken({ authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }), is401);
  assert.throws(() => gitToken({ authorization: 'Digest x' }), is401);
});

const ALL: PatScope[] = ['api'];
function facts(over: Partial<GitAccessFacts>): GitAccessFacts {
  return { service: 'upload-pack', signedIn: true, scopes: new Set(ALL), visible: true, visibility: 'private', level: 0, projectPath: 'g/app', ...over };
}
const status = (f: Partial<GitAccessFacts>) => {
  const d = decideGitAccess(facts(f));
  return d.allowed ? 200 : d.status;
};

test('reading: Reporter and up, public for all, internal for signed-in users', () => {
  assert.equal(status({ level: 20 }), 200);
  assert.equal(status({ level: 10 }), 403, 'a Guest sees the project but not its code');
  assert.equal(status({ level: 0, visibility: 'internal' }), 200);
  assert.equal(status({ level: 0, visibility: 'public', signedIn: false, scopes: new Set() }), 200);
  assert.equal(status({ level: 0, visibility: 'internal', signedIn: false, scopes: new Set(), visible: false }), 401);
});

test('pushing: Developer and up with write_repository or api; anonymous gets 401', () => {
  assert.equal(status({ service: 'receive-pack', level: 30 }), 200);
  assert.equal(status({ service: 'receive-pack', level: 30, scopes: new Set(['write_repository']) }), 200);
  assert.equal(status({ service: 'receive-pack', level: 20 }), 403);
  assert.equal(status({ service: 'receive-pack', level: 50, scopes: new Set(['read_repository']) }), 403);
  assert.equal(status({ service: 'receive-pack', level: 0, visibility: 'public', signedIn: false, scopes: new Set() }), 401);
});

test('scopes: read_api alone opens no repository', () => {
  assert.equal(status({ level: 40, scopes: new Set(['read_api']) }), 403);
  assert.equal(status({ level: 40, scopes: new Set(['read_repository']) }), 200);
  assert.equal(status({ level: 40, scopes: new Set(['write_repository']) }), 200);
});

test('a project the caller cannot see: 404 when signed in, 401 (ask for credentials) when not', () => {
  const hidden = decideGitAccess(facts({ visible: false }));
  assert.deepEqual(hidden, { allowed: false, status: 404, message: PROJECT_NOT_FOUND });
  assert.equal(status({ visible: false, signedIn: false, scopes: new Set() }), 401);
  assert.equal(status({ visible: false, service: 'receive-pack' }), 404);
});

test('refusals say what is missing', () => {
  const d = decideGitAccess(facts({ service: 'receive-pack', level: 20 }));
  assert.ok(!d.allowed && /needs at least the Developer role/.test(d.message));
  const s = decideGitAccess(facts({ service: 'receive-pack', level: 30, scopes: new Set(['read_repository']) }));
  assert.ok(!s.allowed && /write_repository scope/.test(s.message));
});
