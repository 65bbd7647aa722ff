/**
 * Projects on both engines: creation is all or nothing with its repository, protected
 * branches match by pattern, environments get GitLab's slugs and tiers.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../store/db.js';
import { isKubegateError } from '../../lib/errors.js';
import { IdentityService, type Actor } from '../identity/server.js';
import { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import { GroupService } from '../groups/server.js';
import { ProjectService, type RepositoryLifecycle } from './server.js';
import { ENGINES, engineFixture } from '../../../test/helpers/postgres.js';
import { rejectsWith } from '../../../test/helpers/assertions.js';

/** Repositories in memory; `failNext` makes the next create fail after it "made" the repository. */
class FakeRepositories implements RepositoryLifecycle {
  readonly existing = new Set<number>();
  failNext = false;
  async create(projectId: number): Promise<void> {
    this.existing.add(projectId);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('git init failed: disk full');
    }
  }
  async remove(projectId: number): Promise<void> {
    this.existing.delete(projectId);
  }
}


for (const engine of ENGINES) {
  describe(`projects on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let identity: IdentityService;
    let groups: GroupService;
    let projects: ProjectService;
    let repos: FakeRepositories;
    let admin: Actor;

    async function open(): Promise<void> {
      if (store) return;
      store = await openStore(fx.storeOptions);
      identity = new IdentityService(store.db);
      const policy = new Policy(store.db);
      groups = new GroupService(store.db, policy);
      repos = new FakeRepositories();
      projects = new ProjectService(store.db, policy, repos);
      const root = await identity.createUser({ username: 'root', name: 'Root', admin: true });
      admin = { user: root, scopes: new Set(['api']) };
    }
    after(() => store?.close());

    async function actorFor(username: string): Promise<Actor> {
      return { user: await identity.createUser({ username, name: username }), scopes: new Set(['api']) };
    }

    async function snapshot() {
      return {
        projects: await store.db.selectFrom('projects').select(['id', 'full_path']).orderBy('id').execute(),
        routes: await store.db.selectFrom('routes').selectAll().orderBy('path_lower').execute(),
        members: await store.db.selectFrom('members').select(['id', 'source_kind', 'source_id']).orderBy('id').execute(),
        repositories: [...repos.existing].sort(),
      };
    }

    it('creates a project with its route and repository', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const group = await groups.create(admin, { name: 'Apps', path: 'apps' });
      const project = await projects.create(admin, { name: 'My App', namespace_id: group.id });
      assert.equal(project.path, 'my-app', 'the path is made from the name');
      assert.equal(project.full_path, 'apps/my-app');
      assert.equal(project.default_branch, 'main');
      assert.ok(repos.existing.has(project.id));
      const route = await store.db.selectFrom('routes').selectAll().where('path_lower', '=', 'apps/my-app').executeTakeFirstOrThrow();
      assert.deepEqual(route, { path_lower: 'apps/my-app', source_kind: 'project', source_id: project.id });
      assert.equal((await projects.lookup('Apps/My-App'))?.id, project.id);
      // Without namespace_id, the project goes into the creator's own namespace.
      const own = await projects.create(admin, { name: 'Mine', path: 'mine' });
      assert.equal(own.full_path, 'root/mine');
    });

    it('leaves nothing behind when the repository cannot be created', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const dev = await actorFor('dev-rollback');
      const group = await groups.create(admin, { name: 'Rollback', path: 'rollback' });
      await store.db.insertInto('members').values({ source_kind: 'namespace', source_id: group.id, user_id: dev.user!.id, access_level: ACCESS.developer, created_at: new Date().toISOString() }).execute();
      const before = await snapshot();
      repos.failNext = true;
      await assert.rejects(projects.create(dev, { name: 'doomed', namespace_id: group.id }), /disk full/);
      assert.deepEqual(await snapshot(), before, 'no project, route, membership or repository remains');
      // The path is free again.
      const again = await projects.create(dev, { name: 'doomed', namespace_id: group.id });
      assert.equal(again.full_path, 'rollback/doomed');
    });

    it('removes repositories whose project does not exist, and only those', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const kept = await projects.create(admin, { name: 'kept-repo', path: 'kept-repo' });
      repos.existing.add(900_001); // left by a crash between `git init` and the commit
      const removed = await projects.removeOrphanRepositories([kept.id, 900_001]);
      assert.deepEqual(removed, [900_001]);
      assert.ok(repos.existing.has(kept.id));
      assert.ok(!repos.existing.has(900_001));
    });

    it('lets a Developer create a project in a group and makes them its Maintainer', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const dev = await actorFor('dev-creator');
      const reporter = await actorFor('reporter-creator');
      const group = await groups.create(admin, { name: 'Team', path: 'team' });
      const policy = new Policy(store.db);
      for (const [actor, level] of [[dev, ACCESS.developer], [reporter, ACCESS.reporter]] as const) {
        await store.db.insertInto('members').values({ source_kind: 'namespace', source_id: group.id, user_id: actor.user!.id, access_level: level, created_at: new Date().toISOString() }).execute();
      }
      const project = await projects.create(dev, { name: 'svc', namespace_id: group.id });
      assert.equal(await policy.projectAccess(dev.user, project), ACCESS.maintainer);
      await assert.rejects(projects.create(reporter, { name: 'nope', namespace_id: group.id }), rejectsWith(403, /Developer role on group team/));
      await assert.rejects(projects.create({ user: null, scopes: new Set() }, { name: 'anon', namespace_id: group.id }), (err: unknown) => isKubegateError(err) && err.status === 401);
    });

    it('protects the default branch on creation, and branches by name and by wildcard pattern', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const project = await projects.create(admin, { name: 'protect', path: 'protect' });
      // The default branch is protected from the start: Maintainers push and merge.
      const initial = await projects.protectedBranches(project.id);
      assert.deepEqual(initial.map((b) => [b.name, b.push_access_level, b.merge_access_level]), [['main', 40, 40]]);
      await assert.rejects(projects.protectBranch(admin, project, { name: 'main' }), rejectsWith(409, /main/));
      await projects.protectBranch(admin, project, { name: 'release/*', push_access_level: 30, merge_access_level: 40 });
      await assert.rejects(projects.protectBranch(admin, project, { name: 'bad..name' }), rejectsWith(400, /^name /));
      await assert.rejects(projects.protectBranch(admin, project, { name: 'x', push_access_level: 50 }), rejectsWith(400, /^push_access_level must be one of 0 \(No one\), 30/));
      assert.deepEqual((await projects.protectedBranches(project.id)).map((b) => b.name), ['main', 'release/*']);
      assert.equal(await projects.isRefProtected(project.id, 'refs/heads/main'), true);
      assert.equal(await projects.isRefProtected(project.id, 'main'), true);
      assert.equal(await projects.isRefProtected(project.id, 'release/1.2/hotfix'), true);
      assert.equal(await projects.isRefProtected(project.id, 'feature'), false);
      assert.equal(await projects.isRefProtected(project.id, 'pre-release/1'), false);
      const dev = await actorFor('dev-protect');
      await store.db.insertInto('members').values({ source_kind: 'project', source_id: project.id, user_id: dev.user!.id, access_level: ACCESS.developer, created_at: new Date().toISOString() }).execute();
      await assert.rejects(projects.protectBranch(dev, project, { name: 'dev' }), rejectsWith(403, /Maintainer/));
      // A Developer may push to release/* (Developers + Maintainers) but not to main.
      assert.deepEqual(await projects.branchPermissions(dev.user, project, 'main').then((p) => [p.protected, p.push, p.merge]), [true, false, false]);
      assert.deepEqual(await projects.branchPermissions(dev.user, project, 'release/1').then((p) => [p.protected, p.push, p.merge]), [true, true, false]);
      assert.deepEqual(await projects.branchPermissions(dev.user, project, 'feature').then((p) => [p.protected, p.push, p.merge]), [false, true, true]);
      await projects.unprotectBranch(admin, project, 'main');
      assert.equal(await projects.isRefProtected(project.id, 'main'), false);
    });

    it('moves the default branch protection along when the default branch changes', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const project = await projects.create(admin, { name: 'moving', path: 'moving' });
      await projects.setDefaultBranch(project.id, 'master');
      assert.deepEqual((await projects.protectedBranches(project.id)).map((b) => b.name), ['master']);
      await projects.unprotectBranch(admin, project, 'master');
      await projects.setDefaultBranch(project.id, 'trunk');
      assert.deepEqual((await projects.protectedBranches(project.id)).map((b) => [b.name, b.push_access_level]), [['trunk', 40]]);
    });

    it('stores environments with slug and tier, once per name', async (t) => {
      if (fx.skipped(t)) return;
      await open();
      const project = await projects.create(admin, { name: 'envs', path: 'envs' });
      const prod = await projects.createEnvironment(admin, project, { name: 'production' });
      assert.deepEqual([prod.slug, prod.tier], ['production', 'production']);
      const review = await projects.createEnvironment(admin, project, { name: 'review/feature-1' });
      assert.match(review.slug, /^review-feature-1-[a-z0-9]{6}$/);
      assert.equal(review.tier, 'development');
      const given = await projects.createEnvironment(admin, project, { name: 'canary', tier: 'production' });
      assert.equal(given.tier, 'production');
      await assert.rejects(projects.createEnvironment(admin, project, { name: 'production' }), rejectsWith(409, /production/));
      // ensureEnvironment (a CI job's environment) creates on first use and reuses after.
      const first = await projects.ensureEnvironment(project.id, 'staging');
      const second = await projects.ensureEnvironment(project.id, 'staging');
      assert.equal(first.id, second.id);
      assert.equal(first.tier, 'staging');
      assert.deepEqual((await projects.listEnvironments(project.id)).map((e) => e.name), ['production', 'review/feature-1', 'canary', 'staging']);
    });
  });
}
