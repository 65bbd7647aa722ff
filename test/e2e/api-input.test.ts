/**
 * Bad input through the REST API: every refusal is a JSON `{message}` with the right
 * status that names the field and the rule, and after each one nothing is half-created
 * (groups, projects, routes, memberships and repositories on disk are as before).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let groupId = 0;

before(async () => {
  server = await startTestServer();
  const group = await server.api('POST', '/groups', { name: 'Input', path: 'input' });
  assert.equal(group.status, 201);
  groupId = group.body.id;
  const project = await server.api('POST', '/projects', { name: 'existing', namespace_id: groupId });
  assert.equal(project.status, 201);
});
after(() => server?.close());

/** Everything a failed create could leave behind. */
async function snapshot() {
  const db = server.app.store.db;
  const groups = await server.api('GET', '/groups?per_page=100');
  const projects = await server.api('GET', '/projects?per_page=100');
  let repositories: string[] = [];
  try {
    repositories = (await readdir(join(server.dataDir, 'repositories'))).sort();
  } catch {
    // no repository yet
  }
  return {
    groups: groups.body.map((g: { full_path: string }) => g.full_path),
    projects: projects.body.map((p: { path_with_namespace: string }) => p.path_with_namespace),
    routes: (await db.selectFrom('routes').selectAll().orderBy('path_lower').execute()).map((r) => r.path_lower),
    namespaces: (await db.selectFrom('namespaces').select('full_path').orderBy('id').execute()).map((n) => n.full_path),
    members: (await db.selectFrom('members').select('id').orderBy('id').execute()).length,
    users: (await db.selectFrom('users').select('username').orderBy('id').execute()).map((u) => u.username),
    repositories,
  };
}

/** Sends the request, checks status and message, and that nothing changed. */
async function refused(method: string, path: string, body: unknown, status: number, message: RegExp, token?: string | null) {
  const before = await snapshot();
  const res = await server.api(method, path, body, token);
  assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} → ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body?.message, 'string', `a JSON {message}: ${JSON.stringify(res.body)}`);
  assert.match(res.body.message, message);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await snapshot(), before, 'nothing was half-created');
}

describe('invalid paths are refused with a 400 naming the field and the rule', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['characters', 'has space', /^path can contain only letters, digits, '_', '-' and '\.'/],
    ['characters (unicode)', 'grüppe', /^path can contain only/],
    ['leading special character', '-lead', /^path must start with a letter, digit or '_'/],
    ['leading dot', '.lead', /^path must start with/],
    ['ends in .git', 'repo.git', /^path cannot end in '\.git' or '\.atom'/],
    ['ends in .atom', 'feed.atom', /^path cannot end in '\.git' or '\.atom'/],
    ['consecutive special characters', 'a__b', /^path cannot contain consecutive special characters/],
    ['too long', 'x'.repeat(256), /^path is too long \(maximum is 255 characters\)/],
    ['reserved: api', 'api', /^path "api" is a reserved name/],
    ['reserved: -', '-', /^path /],
    ['reserved: groups (any case)', 'Groups', /^path "Groups" is a reserved name/],
  ];
  for (const [rule, path, message] of cases) {
    it(`group: ${rule}`, () => refused('POST', '/groups', { name: 'Bad', path }, 400, message));
  }
  it('project: .git ending', () => refused('POST', '/projects', { name: 'x', path: 'x.git', namespace_id: groupId }, 400, /^path cannot end in '\.git'/));
  it('project: leading special character', () => refused('POST', '/projects', { name: 'x', path: '_-x', namespace_id: groupId }, 400, /^path cannot contain consecutive/));
  it('project: reserved route word', () => refused('POST', '/projects', { name: 'x', path: 'info', namespace_id: groupId }, 400, /^path "info" is a reserved name/));
  it('user: reserved top-level word as username', () => refused('POST', '/users', { username: 'api', name: 'Api' }, 400, /^username "api" is a reserved name/));
  it('user: invalid username', () => refused('POST', '/users', { username: 'bad name', name: 'Bad' }, 400, /^username can contain only/));
  it('a reserved top-level word is fine for a subgroup', async () => {
    const res = await server.api('POST', '/groups', { name: 'Api', path: 'api', parent_id: groupId });
    assert.equal(res.status, 201);
    assert.equal(res.body.full_path, 'input/api');
  });
});

describe('duplicates are a 409', () => {
  it('same group path', () => refused('POST', '/groups', { name: 'Input', path: 'input' }, 409, /path "input" has already been taken/));
  it('group path differing only in case', () => refused('POST', '/groups', { name: 'Input', path: 'INPUT' }, 409, /"INPUT" has already been taken/));
  it('group path taken by a user', () => refused('POST', '/groups', { name: 'Root', path: 'Root' }, 409, /"Root" has already been taken/));
  it('project path in the same namespace, any case', () => refused('POST', '/projects', { name: 'x', path: 'Existing', namespace_id: groupId }, 409, /"input\/Existing" has already been taken/));
  it('subgroup path taken by a project', () => refused('POST', '/groups', { name: 'x', path: 'existing', parent_id: groupId }, 409, /"input\/existing" has already been taken/));
  it('username', () => refused('POST', '/users', { username: 'ROOT', name: 'x' }, 409, /ROOT/));
  it('username taken by a group', () => refused('POST', '/users', { username: 'Input', name: 'x' }, 409, /"Input" has already been taken/));
  it('membership that exists', async () => {
    const user = (await server.api('POST', '/users', { username: 'twice-member', name: 'Twice' })).body;
    assert.equal((await server.api('POST', `/groups/${groupId}/members`, { user_id: user.id, access_level: 30 })).status, 201);
    await refused('POST', `/groups/${groupId}/members`, { user_id: user.id, access_level: 40 }, 409, /already a member/);
  });
});

describe('missing and wrong-typed fields are a 400 naming the field', () => {
  it('group without name', () => refused('POST', '/groups', { path: 'noname' }, 400, /^name is missing/));
  it('group without path', () => refused('POST', '/groups', { name: 'No path' }, 400, /^path is missing/));
  it('group with an empty body', () => refused('POST', '/groups', undefined, 400, /^name is missing/));
  it('group name of the wrong type', () => refused('POST', '/groups', { name: 42, path: 'typed' }, 400, /^name must be a string, not a number/));
  it('parent_id not an integer', () => refused('POST', '/groups', { name: 'x', path: 'x', parent_id: 'abc' }, 400, /^parent_id must be an integer/));
  it('parent_id beyond the largest id', () => refused('POST', '/groups', { name: 'x', path: 'x', parent_id: 2147483648 }, 400, /^parent_id must be at most 2147483647/));
  it('parent_id a fraction', () => refused('POST', '/groups', { name: 'x', path: 'x', parent_id: 1.5 }, 400, /^parent_id must be an integer/));
  it('visibility not one of the values', () => refused('POST', '/groups', { name: 'x', path: 'x', visibility: 'secret' }, 400, /^visibility must be one of private, internal, public/));
  it('project without name or path', () => refused('POST', '/projects', { namespace_id: groupId }, 400, /^name is missing/));
  it('project namespace_id not an integer', () => refused('POST', '/projects', { name: 'x', namespace_id: [1] }, 400, /^namespace_id must be an integer/));
  it('project default_branch invalid', () => refused('POST', '/projects', { name: 'x', namespace_id: groupId, default_branch: 'a..b' }, 400, /^default_branch /));
  for (const branch of ['HEAD', 'foo.lock/bar', 'foo/.bar', '@']) {
    // Names Git itself refuses: the repository cannot be made, and nothing else remains.
    it(`project default_branch ${JSON.stringify(branch)} (refused by git)`, () =>
      refused('POST', '/projects', { name: 'x', path: 'bad-branch', namespace_id: groupId, default_branch: branch }, 400, /^default_branch /));
  }
  it('project in a namespace that does not exist', () => refused('POST', '/projects', { name: 'x', namespace_id: 999999 }, 404, /Namespace Not Found/));
  it('a body that is not an object', () => refused('POST', '/groups', [1, 2], 400, /body must be a JSON object/));
  it('user without username', () => refused('POST', '/users', { name: 'x' }, 400, /^username is missing/));
  it('token with an unknown scope', () => refused('POST', '/users/1/personal_access_tokens', { name: 't', scopes: ['sudo'] }, 400, /^scopes\.0 must be one of/));
  it('environment without name', () => refused('POST', `/projects/${encodeURIComponent('input/existing')}/environments`, {}, 400, /^name is missing/));
  it('environment tier not one of the values', () => refused('POST', `/projects/${encodeURIComponent('input/existing')}/environments`, { name: 'e', tier: 'prod' }, 400, /^tier must be one of production, staging, testing, development, other/));
  it('protected branch name invalid', () => refused('POST', `/projects/${encodeURIComponent('input/existing')}/protected_branches`, { name: 'a b' }, 400, /^name cannot contain spaces/));
});

describe('a project whose repository cannot be created', () => {
  it('is a 500, logged, and leaves no project, route, membership or repository behind', async () => {
    const repositories = join(server.dataDir, 'repositories');
    const aside = `${repositories}.aside`;
    const reposBefore = (await readdir(repositories)).sort();
    await rename(repositories, aside);
    // A file where the repositories directory should be: `git init` cannot work.
    await writeFile(repositories, 'not a directory');
    try {
      await refused('POST', '/projects', { name: 'no-repo', namespace_id: groupId }, 500, /^500 Internal Server Error$/);
      assert.ok(server.logs.some((l) => l.level === 50 && l.msg === 'request failed'), 'the cause is logged');
      assert.deepEqual((await readdir(aside)).sort(), reposBefore, 'no repository was added');
    } finally {
      await rm(repositories, { force: true });
      await rename(aside, repositories);
    }
    const after = await server.api('POST', '/projects', { name: 'no-repo', namespace_id: groupId });
    assert.equal(after.status, 201, 'the path is free again once the disk is fixed');
  });
});

describe('invalid access levels are a 400', () => {
  let userId = 0;
  before(async () => {
    userId = (await server.api('POST', '/users', { username: 'levels', name: 'Levels' })).body.id;
  });
  for (const level of [0, 35, 60, 'developer']) {
    it(`access_level ${JSON.stringify(level)}`, () => refused('POST', `/groups/${groupId}/members`, { user_id: userId, access_level: level }, 400, /^access_level /));
  }
  it('user_id missing', () => refused('POST', `/groups/${groupId}/members`, { access_level: 30 }, 400, /^user_id is missing/));
  it('user that does not exist', () => refused('POST', `/groups/${groupId}/members`, { user_id: 999999, access_level: 30 }, 404, /User Not Found/));
});

describe('malformed requests', () => {
  async function raw(body: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/api/v4/groups`, { method: 'POST', headers: { 'PRIVATE-TOKEN': server.rootToken, 'Content-Type': 'application/json', ...headers }, body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as { message?: string } };
  }

  it('malformed JSON is a 400', async () => {
    const before = await snapshot();
    const res = await raw('{"name": "x", "path": ');
    assert.equal(res.status, 400);
    assert.match(res.body.message ?? '', /not valid JSON/);
    assert.deepEqual(await snapshot(), before);
  });

  it('a body over 1 MiB is a 413', async () => {
    const before = await snapshot();
    const res = await raw(JSON.stringify({ name: 'big', path: 'big', description: 'x'.repeat(1024 * 1024 + 10) }));
    assert.equal(res.status, 413);
    assert.match(res.body.message ?? '', /413/);
    assert.deepEqual(await snapshot(), before);
  });

  it('an unknown route is a 404 JSON {message}', async () => {
    for (const [method, path] of [['GET', '/api/v4/nothing-here'], ['POST', '/api/v4/groups/1/nothing'], ['DELETE', '/api/v4/groups']]) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { 'PRIVATE-TOKEN': server.rootToken } });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { message?: string };
      assert.match(body.message ?? '', /^404 /);
    }
  });

  it('an unknown group or project is a 404 by id and by path', async () => {
    for (const path of ['/groups/999999', '/groups/no%2Fsuch', '/projects/999999', '/projects/input%2Fnope']) {
      const res = await server.api('GET', path);
      assert.equal(res.status, 404, path);
      assert.match(res.body.message, /Not Found/);
    }
  });
});

describe('authentication', () => {
  it('a bad token is a 401, never treated as anonymous', async () => {
    await refused('GET', '/groups', undefined, 401, /token is not valid/, 'kgpat-not-a-real-token');
    await refused('POST', '/groups', { name: 'x', path: 'x' }, 401, /token is not valid/, 'kgpat-not-a-real-token');
    const res = await fetch(`${server.url}/api/v4/groups`, { headers: { Authorization: 'Basic abc' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
  });

  it('the Authorization: Bearer header works like PRIVATE-TOKEN', async () => {
    const res = await fetch(`${server.url}/api/v4/user`, { headers: { Authorization: `Bearer ${server.rootToken}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { username: string }).username, 'root');
  });

  it('a token with only read_repository is refused on the API with 403', async () => {
    const token = (await server.api('POST', '/users/1/personal_access_tokens', { name: 'git-only', scopes: ['read_repository'] })).body.token as string;
    await refused('GET', '/groups', undefined, 403, /insufficient_scope/, token);
    await refused('POST', '/groups', { name: 'x', path: 'scoped' }, 403, /insufficient_scope/, token);
  });

  it('a read_api token reads but does not write', async () => {
    const token = (await server.api('POST', '/users/1/personal_access_tokens', { name: 'reader', scopes: ['read_api'] })).body.token as string;
    assert.equal((await server.api('GET', '/groups', undefined, token)).status, 200);
    await refused('POST', '/groups', { name: 'x', path: 'readonly' }, 403, /needs a token with the api scope/, token);
  });

  it('a revoked token is a 401', async () => {
    const created = (await server.api('POST', '/users/1/personal_access_tokens', { name: 'short-lived', scopes: ['api'] })).body;
    assert.equal((await server.api('GET', '/user', undefined, created.token)).status, 200);
    assert.equal((await server.api('DELETE', `/personal_access_tokens/${created.id}`)).status, 204);
    await refused('GET', '/user', undefined, 401, /revoked/, created.token);
  });

  it('only an admin creates users', async () => {
    const user = (await server.api('POST', '/users', { username: 'plain', name: 'Plain' })).body;
    const token = (await server.api('POST', `/users/${user.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token as string;
    await refused('POST', '/users', { username: 'sneaky', name: 'x' }, 403, /administrator/, token);
    await refused('POST', '/users', { username: 'sneaky', name: 'x' }, 401, /401/, null);
  });
});
