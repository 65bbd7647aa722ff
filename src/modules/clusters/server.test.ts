/**
 * The clusters store on both engines: one environment scope per owner (the `owner_key`
 * unique constraint, since NULL project/group ids would not collide), the sealed token,
 * and the choice of a job's cluster across project, groups and instance.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { openStore, now, type Store } from '../../store/db.js';
import type { Database, Namespace, Project } from '../../store/schema.js';
import { isKubegateError } from '../../lib/errors.js';
import { Policy } from '../identity/policy.js';
import { ENGINES, engineFixture } from '../../../test/helpers/postgres.js';
import { ClusterService, type ClusterOwner } from './server.js';
import { SecretBox } from './secret_box.js';
import type { NewCluster } from './input.js';

async function group(db: Kysely<Database>, path: string, parent: Namespace | null): Promise<Namespace> {
  return db
    .insertInto('namespaces')
    .values({ kind: 'group', name: path, path, full_path: parent ? `${parent.full_path}/${path}` : path, parent_id: parent?.id ?? null, owner_user_id: null, visibility: 'private', description: '', created_at: now() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function project(db: Kysely<Database>, path: string, ns: Namespace): Promise<Project> {
  return db
    .insertInto('projects')
    .values({ namespace_id: ns.id, name: path, path, full_path: `${ns.full_path}/${path}`, description: '', default_branch: 'main', visibility: 'private', creator_id: null, created_at: now() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Unmanaged: a managed cluster would prepare namespaces through the cluster's API (managed.test.ts). */
function input(scope: string, namespace: string, token = `token-${namespace}`): NewCluster {
  return { name: namespace, environment_scope: scope, managed: false, platform_kubernetes_attributes: { api_url: 'https://k8s.example.com', token, namespace } };
}

for (const engine of ENGINES) {
  describe(`clusters on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    after(() => store?.close());

    it('keeps one scope per owner, seals tokens, and picks the most specific cluster', async (t) => {
      if (fx.skipped(t)) return;
      store = await openStore(fx.storeOptions);
      const db = store.db;
      const clusters = new ClusterService(db, new Policy(db), new SecretBox(fx.storeOptions.dataDir, undefined));
      const root = await group(db, 'corp', null);
      const sub = await group(db, 'team', root);
      const app = await project(db, 'app', sub);
      const owners: Record<string, ClusterOwner> = { project: { kind: 'project', project: app }, sub: { kind: 'group', group: sub }, root: { kind: 'group', group: root }, instance: { kind: 'instance' } };

      await clusters.create(owners.instance!, input('*', 'instance-ns'), null);
      await assert.rejects(clusters.create(owners.instance!, input('*', 'again'), null), (err) => isKubegateError(err) && err.status === 409 && /^Environment scope has already been taken/.test(err.message));
      await clusters.create(owners.root!, input('*', 'root-ns'), null);
      const subProd = await clusters.create(owners.sub!, input('production', 'sub-prod'), null);
      const rows = await db.selectFrom('clusters').select(['token_encrypted']).execute();
      for (const row of rows) assert.doesNotMatch(row.token_encrypted, /token-/);

      const job = (environment: string | null) => clusters.forJob({ projectId: app.id, projectPath: app.path, namespaceId: sub.id, environment });
      assert.deepEqual(await job('production'), { clusterId: subProd.id, apiUrl: 'https://k8s.example.com', caCert: null, token: 'token-sub-prod', namespace: 'sub-prod' });
      assert.equal((await job('staging'))?.namespace, 'root-ns');
      assert.equal((await job(null))?.namespace, 'root-ns');
      const mine = await clusters.create(owners.project!, { name: 'p', managed: false, platform_kubernetes_attributes: { api_url: 'https://p.example.com', token: 'tp' } }, null);
      assert.deepEqual(await job('staging'), { clusterId: mine.id, apiUrl: 'https://p.example.com', caCert: null, token: 'tp', namespace: `app-${app.id}` });

      assert.deepEqual((await clusters.list(owners.sub!)).map((c) => c.environment_scope), ['production']);
      await assert.rejects(clusters.find(owners.sub!, mine.id), /404 Cluster Not Found/);
      await clusters.remove(owners.project!, mine.id);
      assert.equal((await job('staging'))?.namespace, 'root-ns');
      // A project of another top-level group sees only instance clusters.
      const other = await group(db, 'other', null);
      const elsewhere = await project(db, 'x', other);
      assert.equal((await clusters.forJob({ projectId: elsewhere.id, projectPath: 'x', namespaceId: other.id, environment: 'production' }))?.namespace, 'instance-ns');
    });
  });
}
