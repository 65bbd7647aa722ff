/**
 * Who may do what through the REST API, table-driven: every role (set on a top-level
 * group, so every answer also proves inheritance down to a subgroup and its project),
 * a non-member, an admin and an anonymous caller, against each action. Private things
 * answer 404 to those who may not see them; writes without credentials answer 401.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type ApiClient, type TestServer } from '../helpers/server.js';
import { ENGINES, POSTGRES_MISSING, postgresAvailable, startPostgres, type Engine, type TestPostgres } from '../helpers/postgres.js';

interface Ids {
  group: number;
  subgroup: number;
  project: number;
  targets: Record<string, number>;
}

const enc = encodeURIComponent;

type Who = 'guest' | 'reporter' | 'developer' | 'maintainer' | 'owner' | 'non-member' | 'admin' | 'anonymous';
const ROLES = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;
const EVERYONE: Who[] = ['guest', 'reporter', 'developer', 'maintainer', 'owner', 'non-member', 'admin', 'anonymous'];

/** What each caller gets; the targets are a subgroup and a project below the group holding the role. */
const MATRIX: Record<string, { expected: Record<Who, number>; run: (api: ApiClient, who: Who, ids: Ids) => Promise<{ status: number; body: unknown }> }> = {
  'read group': {
    expected: { guest: 200, reporter: 200, developer: 200, maintainer: 200, owner: 200, 'non-member': 404, admin: 200, anonymous: 404 },
    run: (api) => api('GET', `/groups/${enc('perm/sub')}`),
  },
  'create subgroup': {
    expected: { guest: 403, reporter: 403, developer: 403, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', '/groups', { name: `Sub ${who}`, path: `sub-${who}`, parent_id: ids.subgroup }),
  },
  'add group member': {
    expected: { guest: 403, reporter: 403, developer: 403, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', `/groups/${ids.subgroup}/members`, { user_id: ids.targets[`group-${who}`], access_level: 30 }),
  },
  'read project': {
    expected: { guest: 200, reporter: 200, developer: 200, maintainer: 200, owner: 200, 'non-member': 404, admin: 200, anonymous: 404 },
    run: (api) => api('GET', `/projects/${enc('perm/sub/app')}`),
  },
  'create project in group': {
    expected: { guest: 403, reporter: 403, developer: 201, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', '/projects', { name: `app-${who}`, namespace_id: ids.subgroup }),
  },
  'add project member': {
    expected: { guest: 403, reporter: 403, developer: 403, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', `/projects/${ids.project}/members`, { user_id: ids.targets[`project-${who}`], access_level: 30 }),
  },
  'create protected branch': {
    expected: { guest: 403, reporter: 403, developer: 403, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', `/projects/${ids.project}/protected_branches`, { name: `release-${who}/*` }),
  },
  'list protected branches': {
    expected: { guest: 403, reporter: 200, developer: 200, maintainer: 200, owner: 200, 'non-member': 404, admin: 200, anonymous: 404 },
    run: (api, _who, ids) => api('GET', `/projects/${ids.project}/protected_branches`),
  },
  'create environment': {
    expected: { guest: 403, reporter: 403, developer: 201, maintainer: 201, owner: 201, 'non-member': 404, admin: 201, anonymous: 401 },
    run: (api, who, ids) => api('POST', `/projects/${ids.project}/environments`, { name: `review/${who}` }),
  },
};

// The policy reads memberships with engine-specific SQL: the whole matrix runs on both.
for (const engine of ENGINES) {
  const missing = engine === 'postgres' && !postgresAvailable();
  describe(`on ${engine}`, { skip: missing ? POSTGRES_MISSING : false }, () => {
    permissionSuite(engine);
  });
}

function permissionSuite(engine: Engine): void {
  const ids: Ids = { group: 0, subgroup: 0, project: 0, targets: {} };

  let server: TestServer;
  let database: TestPostgres | undefined;
  const clients = {} as Record<Who, ApiClient>;

  async function createUser(username: string, admin = false): Promise<{ id: number; token: string }> {
    const user = await server.api('POST', '/users', { username, name: username, admin });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const pat = await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'test', scopes: ['api'] });
    assert.equal(pat.status, 201, JSON.stringify(pat.body));
    return { id: user.body.id, token: pat.body.token };
  }

  before(async () => {
    database = engine === 'postgres' ? await startPostgres() : undefined;
    server = await startTestServer(database ? { databaseUrl: database.url } : {});
    const api = server.api;
    const group = await api('POST', '/groups', { name: 'Perm', path: 'perm' });
    const subgroup = await api('POST', '/groups', { name: 'Sub', path: 'sub', parent_id: group.body.id });
    const project = await api('POST', '/projects', { name: 'app', namespace_id: subgroup.body.id });
    assert.deepEqual([group.status, subgroup.status, project.status], [201, 201, 201]);
    Object.assign(ids, { group: group.body.id, subgroup: subgroup.body.id, project: project.body.id });
    for (const who of EVERYONE) {
      if (who === 'anonymous') clients[who] = api.as(null);
      else {
        const { id, token } = await createUser(`u-${who}`, who === 'admin');
        clients[who] = api.as(token);
        if (who in ROLES) {
          const added = await api('POST', `/groups/${ids.group}/members`, { user_id: id, access_level: ROLES[who as keyof typeof ROLES] });
          assert.equal(added.status, 201, JSON.stringify(added.body));
        }
      }
      for (const kind of ['group', 'project']) ids.targets[`${kind}-${who}`] = (await createUser(`target-${kind}-${who}`)).id;
    }
  });
  after(async () => {
    await server?.close();
    await database?.stop();
  });

  describe('permission matrix (roles on a parent group, targets below it)', () => {
    for (const [action, { expected, run }] of Object.entries(MATRIX)) {
      it(action, async () => {
        const got = {} as Record<Who, number>;
        const messages: string[] = [];
        for (const who of EVERYONE) {
          const res = await run(clients[who], who, ids);
          got[who] = res.status;
          if (res.status >= 400) {
            const message = (res.body as { message?: unknown })?.message;
            if (typeof message !== 'string' || message.length === 0) messages.push(`${who}: no message in ${JSON.stringify(res.body)}`);
          }
        }
        assert.deepEqual(got, expected);
        assert.deepEqual(messages, [], 'every refusal carries a message');
      });
    }

    it('the 403 says which role is needed', async () => {
      const res = await clients.developer('POST', `/projects/${ids.project}/protected_branches`, { name: 'x' });
      assert.equal(res.status, 403);
      assert.match(res.body.message, /Maintainer/);
    });

    it('a Maintainer may not make someone an Owner; an Owner may', async () => {
      const target = await createUser('target-owner');
      const byMaintainer = await clients.maintainer('POST', `/groups/${ids.subgroup}/members`, { user_id: target.id, access_level: 50 });
      assert.equal(byMaintainer.status, 403);
      assert.match(byMaintainer.body.message, /Owner/);
      const byOwner = await clients.owner('POST', `/groups/${ids.subgroup}/members`, { user_id: target.id, access_level: 50 });
      assert.equal(byOwner.status, 201);
      assert.equal(byOwner.body.access_level, 50);
    });
  });

  describe('membership on one project only', () => {
    let member: ApiClient;
    let sibling = 0;
    before(async () => {
      const user = await createUser('project-only');
      member = server.api.as(user.token);
      const added = await server.api('POST', `/projects/${ids.project}/members`, { user_id: user.id, access_level: 30 });
      assert.equal(added.status, 201);
      sibling = (await server.api('POST', '/projects', { name: 'sibling', namespace_id: ids.subgroup })).body.id;
    });

    it('sees the project and the groups on the way to it, not the sibling project', async () => {
      assert.equal((await member('GET', `/projects/${ids.project}`)).status, 200);
      assert.equal((await member('GET', `/groups/${ids.subgroup}`)).status, 200);
      assert.equal((await member('GET', `/groups/${ids.group}`)).status, 200);
      assert.equal((await member('GET', `/projects/${sibling}`)).status, 404);
      const listed = await member('GET', '/projects');
      assert.ok(listed.body.some((p: { id: number }) => p.id === ids.project));
      assert.ok(!listed.body.some((p: { id: number }) => p.id === sibling));
      const groups = await member('GET', '/groups');
      const paths = groups.body.map((g: { id: number }) => g.id);
      assert.ok(paths.includes(ids.group) && paths.includes(ids.subgroup), 'the groups on the way are listed');
    });

    it('may act as a Developer on that project but not create projects in its group', async () => {
      assert.equal((await member('POST', `/projects/${ids.project}/environments`, { name: 'member-env' })).status, 201);
      assert.equal((await member('POST', `/projects/${ids.project}/protected_branches`, { name: 'member-b' })).status, 403);
      assert.equal((await member('POST', '/projects', { name: 'nope', namespace_id: ids.subgroup })).status, 403);
    });
  });

  describe('visibility', () => {
    let outsider: ApiClient;
    before(async () => {
      outsider = server.api.as((await createUser('outsider')).token);
      const pub = await server.api('POST', '/groups', { name: 'Open', path: 'open', visibility: 'public' });
      await server.api('POST', '/projects', { name: 'pub', namespace_id: pub.body.id, visibility: 'public' });
      await server.api('POST', '/projects', { name: 'int', namespace_id: pub.body.id, visibility: 'internal' });
      await server.api('POST', '/projects', { name: 'priv', namespace_id: pub.body.id, visibility: 'private' });
    });

    it('public things are readable anonymously', async () => {
      const anon = server.api.as(null);
      assert.equal((await anon('GET', '/groups/open')).status, 200);
      const project = await anon('GET', `/projects/${enc('open/pub')}`);
      assert.equal(project.status, 200);
      assert.equal(project.body.path_with_namespace, 'open/pub');
      const listed = await anon('GET', '/projects');
      assert.deepEqual(listed.body.map((p: { path_with_namespace: string }) => p.path_with_namespace), ['open/pub']);
    });

    it('internal things are readable by any signed-in user, not anonymously', async () => {
      assert.equal((await outsider('GET', `/projects/${enc('open/int')}`)).status, 200);
      assert.equal((await server.api.as(null)('GET', `/projects/${enc('open/int')}`)).status, 404);
    });

    it('private things answer 404, the same as things that do not exist', async () => {
      const hidden = await outsider('GET', `/projects/${enc('open/priv')}`);
      const missing = await outsider('GET', `/projects/${enc('open/no-such-project')}`);
      assert.equal(hidden.status, 404);
      assert.deepEqual(hidden.body, missing.body, 'the answer does not tell a private project from a missing one');
      assert.equal((await outsider('GET', '/groups/perm')).status, 404);
      const groups = await outsider('GET', '/groups');
      assert.deepEqual(groups.body.map((g: { full_path: string }) => g.full_path), ['open']);
    });

    it('a public project in a private group cannot be created', async () => {
      const res = await server.api('POST', '/projects', { name: 'leak', namespace_id: ids.group, visibility: 'public' });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /^visibility/);
    });
  });
}
