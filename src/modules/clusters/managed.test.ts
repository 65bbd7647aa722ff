/**
 * GitLab-managed namespaces on both engines, against the Kubernetes API simulator: names
 * as GitLab makes them, one preparation per scope even when two processes race (the
 * unique scope key), reuse from the store, and forgetting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, now, type Store } from '../../store/db.js';
import { ENGINES, engineFixture } from '../../../test/helpers/postgres.js';
import { startKubeApiServer, type KubeApiSimulator } from '../../../test/kube-apiserver/index.js';
import { SecretBox } from './secret_box.js';
import { ManagedNamespaces, managedNamespaceName } from './managed.js';

it("names: GitLab's <project path>-<project id>-<environment slug>, a valid namespace", () => {
  assert.equal(managedNamespaceName('web-app', 7, 'production'), 'web-app-7-production');
  assert.equal(managedNamespaceName('Web_App.v2', 7, 'review-fix-abc123'), 'web-app-v2-7-review-fix-abc123');
  assert.equal(managedNamespaceName('app', 7, null), 'app-7');
  const long = managedNamespaceName('a'.repeat(60), 12345, 'production');
  assert.equal(long.length, 63);
  assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
});

for (const engine of ENGINES) {
  describe(`managed namespaces on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let sim: KubeApiSimulator;
    before(async () => {
      sim = await startKubeApiServer({ fluxCrds: false });
    });
    after(async () => {
      await store?.close();
      await sim?.close();
    });

    it('two processes preparing the same scope at once make one set of objects and agree on the token; later calls reuse it', async (t) => {
      if (fx.skipped(t)) return;
      store = await openStore(fx.storeOptions);
      const db = store.db;
      const ns = await db.insertInto('namespaces').values({ kind: 'group', name: 'g', path: 'g', full_path: 'g', parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: now() }).returningAll().executeTakeFirstOrThrow();
      const project = await db
        .insertInto('projects')
        .values({ namespace_id: ns.id, name: 'app', path: 'app', full_path: 'g/app', description: '', default_branch: 'main', visibility: 'private', creator_id: null, created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      const cluster = await db
        .insertInto('clusters')
        .values({ cluster_type: 'project_type', project_id: project.id, group_id: null, owner_key: `project:${project.id}`, name: 'c', environment_scope: '*', provider_type: 'user', api_url: sim.url, ca_cert: sim.caCert, token_encrypted: 'x', namespace: null, authorization_type: 'rbac', managed: 1, enabled: 1, created_at: now(), created_by_user_id: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      const secrets = new SecretBox(fx.storeOptions.dataDir, undefined);
      const target = { id: cluster.id, name: 'c', apiUrl: sim.url, caCert: sim.caCert, token: sim.adminToken };
      const scope = { projectId: project.id, environmentId: null, namespace: managedNamespaceName('app', project.id, null) };
      const [a, b] = await Promise.all([new ManagedNamespaces(db, secrets).ensure(target, scope), new ManagedNamespaces(db, secrets).ensure(target, scope)]);
      assert.equal(a.namespace, `app-${project.id}`);
      assert.equal(a.token, b.token, 'the stored token wins for both');
      const rows = await db.selectFrom('cluster_kubernetes_namespaces').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.doesNotMatch(rows[0]!.token_encrypted, /^sa-/, 'sealed');
      assert.equal(rows[0]!.service_account_name, `app-${project.id}-service-account`);
      assert.equal(sim.userForToken(a.token)?.username, `system:serviceaccount:app-${project.id}:app-${project.id}-service-account`);

      sim.clearRequests();
      const managed = new ManagedNamespaces(db, secrets);
      assert.deepEqual(await managed.ensure(target, scope), a);
      assert.equal(sim.requests.length, 0, 'reused from the store');
      assert.equal(await managed.forget(cluster.id), 1);
      assert.equal((await db.selectFrom('cluster_kubernetes_namespaces').selectAll().execute()).length, 0);
    });
  });
}
