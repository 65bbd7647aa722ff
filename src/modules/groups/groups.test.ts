/**
 * Groups on both engines: nesting builds full paths, roles come down the tree, and a
 * path is unique without regard to case across users, groups and projects (409, with
 * nothing half-created).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../store/db.js';
import { IdentityService, type Actor } from '../identity/server.js';
import { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import { ProjectService, type RepositoryLifecycle } from '../projects/server.js';
import { GroupService } from './server.js';
import { MAX_NESTING_DEPTH } from './paths.js';
import { ENGINES, engineFixture } from '../../../test/helpers/postgres.js';
import { rejectsWith } from '../../../test/helpers/assertions.js';

const noRepositories: RepositoryLifecycle = { create: async () => undefined, remove: async () => undefined };


for (const engine of ENGINES) {
  describe(`groups on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let identity: IdentityService;
    let policy: Policy;
    let groups: GroupService;
    let projects: ProjectService;
    let admin: Actor;

    async function open(): Promise<void> {
      if (store) return;
      store = await openStore(fx.storeOptions);
      identity = new IdentityService(store.db);
      policy = new Policy(store.db);
      groups = new GroupService(store.db, policy);
      projects = new ProjectService(store.db, policy, noRepositories);
      const root = await identity.createUser({ username: 'root', name: 'Root', admin: true });
      admin = { user: root, scopes: new Set(['api']) };
    }
    after(() => store?.close());

    async function snapshot() {
      return {
        namespaces: await store.db.selectFrom('namespaces').select(['id', 'full_path']).orderBy('id').execute(),
        projects: await store.db.selectFrom('projects').select(['id', 'full_path']).orderBy('id').execute(),
        routes: await store.db.selectFrom('routes').selectAll().orderBy('path_lower').execute(),
        members: await store.db.selectFrom('members').select('id').orderBy('id').execute(),
      };
    }

    it('nests groups and builds full paths from the parents', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const top = await groups.create(admin, { name: 'Platform', path: 'platform' });
      const mid = await groups.create(admin, { name: 'Teams', path: 'teams', parent_id: top.id });
      const leaf = await groups.create(admin, { name: 'Web', path: 'Web_1', parent_id: mid.id });
      assert.equal(top.full_path, 'platform');
      assert.equal(mid.full_path, 'platform/teams');
      assert.equal(leaf.full_path, 'platform/teams/Web_1');
      assert.equal(leaf.parent_id, mid.id);
      assert.deepEqual((await policy.ancestry(leaf.id)).map((g) => g.path), ['Web_1', 'teams', 'platform']);
      // Found by id and by full path in any case.
      assert.equal((await groups.lookup(leaf.id))?.id, leaf.id);
      assert.equal((await groups.lookup('PLATFORM/Teams/web_1'))?.id, leaf.id);
      // A subgroup may reuse a path that exists elsewhere in the tree.
      const other = await groups.create(admin, { name: 'Teams', path: 'teams', parent_id: leaf.id });
      assert.equal(other.full_path, 'platform/teams/Web_1/teams');
    });

    it('passes a role on a parent group down to subgroups and their projects', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const dev = await identity.createUser({ username: 'dev1', name: 'Dev' });
      const top = await groups.create(admin, { name: 'Inherit', path: 'inherit' });
      const sub = await groups.create(admin, { name: 'Sub', path: 'sub', parent_id: top.id });
      const project = await projects.create(admin, { name: 'app', namespace_id: sub.id });
      assert.equal(await policy.namespaceAccess(dev, sub.id), ACCESS.none);
      await store.db.insertInto('members').values({ source_kind: 'namespace', source_id: top.id, user_id: dev.id, access_level: ACCESS.developer, created_at: new Date().toISOString() }).execute();
      assert.equal(await policy.namespaceAccess(dev, sub.id), ACCESS.developer);
      assert.equal(await policy.projectAccess(dev, project), ACCESS.developer);
      assert.equal(await policy.canSeeProject(dev, project), true);
      // A higher role lower down wins.
      await store.db.insertInto('members').values({ source_kind: 'project', source_id: project.id, user_id: dev.id, access_level: ACCESS.maintainer, created_at: new Date().toISOString() }).execute();
      assert.equal(await policy.projectAccess(dev, project), ACCESS.maintainer);
    });

    it('refuses taken paths without regard to case across users, groups and projects', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      await identity.createUser({ username: 'taken-user', name: 'Taken' });
      const group = await groups.create(admin, { name: 'Taken', path: 'taken-group' });
      await projects.create(admin, { name: 'Proj', path: 'proj', namespace_id: group.id });
      const before = await snapshot();

      await assert.rejects(groups.create(admin, { name: 'x', path: 'taken-group' }), rejectsWith(409, /taken-group/));
      await assert.rejects(groups.create(admin, { name: 'x', path: 'Taken-Group' }), rejectsWith(409, /Taken-Group/));
      await assert.rejects(groups.create(admin, { name: 'x', path: 'TAKEN-USER' }), rejectsWith(409, /TAKEN-USER/));
      await assert.rejects(groups.create(admin, { name: 'x', path: 'taken-user' }), rejectsWith(409, /taken-user/));
      await assert.rejects(identity.createUser({ username: 'Taken-group', name: 'x' }), rejectsWith(409, /Taken-group/));
      await assert.rejects(identity.createUser({ username: 'taken-group', name: 'x' }), rejectsWith(409, /taken-group/));
      // A subgroup and a project with the same full path collide too.
      await assert.rejects(groups.create(admin, { name: 'x', path: 'PROJ', parent_id: group.id }), rejectsWith(409, /taken-group\/PROJ/));
      await assert.rejects(projects.create(admin, { name: 'x', path: 'Proj', namespace_id: group.id }), rejectsWith(409, /Proj/));
      await assert.rejects(projects.create(admin, { name: 'x', path: 'proj', namespace_id: group.id }), rejectsWith(409, /proj/));

      assert.deepEqual(await snapshot(), before, 'no refused create left a row behind');
    });

    it('creates only one of two groups racing for the same path', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const results = await Promise.allSettled(
        ['race', 'RACE', 'Race', 'race'].map((path) => groups.create(admin, { name: 'Race', path })),
      );
      const created = results.filter((r) => r.status === 'fulfilled');
      assert.equal(created.length, 1);
      for (const r of results) if (r.status === 'rejected') rejectsWith(409, /has already been taken/)(r.reason);
      const rows = await store.db.selectFrom('namespaces').select('id').where('kind', '=', 'group').where('path', 'in', ['race', 'RACE', 'Race']).execute();
      assert.equal(rows.length, 1);
    });

    it('refuses subgroups below an unknown parent or beyond the maximum depth', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      await assert.rejects(groups.create(admin, { name: 'x', path: 'orphan', parent_id: 999_999 }), rejectsWith(404, /Parent Group/));
      let parent = await groups.create(admin, { name: 'Deep', path: 'deep' });
      for (let depth = 2; depth <= MAX_NESTING_DEPTH; depth++) parent = await groups.create(admin, { name: 'd', path: `d${depth}`, parent_id: parent.id });
      assert.equal(parent.full_path.split('/').length, MAX_NESTING_DEPTH);
      await assert.rejects(groups.create(admin, { name: 'd', path: 'too-deep', parent_id: parent.id }), rejectsWith(400, /^parent_id: .*at most 20/));
    });

    it('refuses a subgroup more visible than its parent and inherits the parent’s visibility', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const priv = await groups.create(admin, { name: 'Priv', path: 'priv' });
      await assert.rejects(groups.create(admin, { name: 'x', path: 'pub', parent_id: priv.id, visibility: 'public' }), rejectsWith(400, /^visibility/));
      const pub = await groups.create(admin, { name: 'Pub', path: 'pub-top', visibility: 'public' });
      const child = await groups.create(admin, { name: 'Child', path: 'child', parent_id: pub.id });
      assert.equal(child.visibility, 'public');
    });
  });
}
