// The real helm (3 and 4) against the simulator: install with --wait, upgrade, history
// and uninstall of a small chart touching the kinds real charts use (ServiceAccount,
// Secret, ConfigMap, ClusterRoleBinding, PodDisruptionBudget, Deployment). Helm 3
// upgrades with three-way strategic merge patches; helm 4 with server-side apply, where a
// value dropped on upgrade must disappear from the live object.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findHelm, helm, HELM_SOURCES, type HelmMajor } from '../helpers/helm.js';
import { startKubeApiServer, type KubeApiSimulator } from './index.js';
import { kubeconfigYaml } from './testing/kubectl.js';

const CHART = join(import.meta.dirname, 'testing/demo-chart');

for (const major of [3, 4] as const satisfies HelmMajor[]) {
  const found = await findHelm(major);
  describe(`kube-apiserver simulator: helm ${HELM_SOURCES[major].version}`, { skip: found.missing }, () => {
    let sim: KubeApiSimulator;
    let home: string;
    const ns = `demo-helm${major}`;
    const run = (args: string[]) => helm(found.path!, home, args, { env: { KUBECONFIG: join(home, 'kubeconfig') } });

    before(async () => {
      sim = await startKubeApiServer();
      home = await mkdtemp(join(tmpdir(), 'sim-helm-'));
      await writeFile(join(home, 'kubeconfig'), kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }), { mode: 0o600 });
    });
    after(async () => {
      await sim?.close();
      if (home) await rm(home, { recursive: true, force: true });
    });

    const deployment = () => sim.get('apps/v1', 'Deployment', ns, 'demo') as { spec: { replicas: number; template: { spec: { containers: Array<{ env: Array<{ name: string }> }> } } } } | undefined;
    const envNames = () => deployment()!.spec.template.spec.containers[0]!.env.map((e) => e.name);
    const releases = () => sim.list('v1', 'Secret', ns).filter((s) => s.metadata.labels?.owner === 'helm');

    it('installs a release and waits for its Deployment', async () => {
      const r = await run(['upgrade', '--install', 'demo', CHART, '--namespace', ns, '--create-namespace', '--wait', '--timeout', '60s', '--set', 'env[0].name=HTTPS_PROXY', '--set', 'env[0].value=http://proxy:3128', '--set', 'labels.extra=yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(envNames(), ['HTTPS_PROXY', 'ALWAYS']);
      assert.ok(sim.get('policy/v1', 'PodDisruptionBudget', ns, 'demo'));
      assert.ok(sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, `${ns}.demo`));
      assert.equal(sim.get('v1', 'ConfigMap', ns, 'demo')!.metadata.labels?.extra, 'yes');
      assert.equal(Buffer.from(String((sim.get('v1', 'Secret', ns, 'demo') as unknown as { data: Record<string, string> }).data.token), 'base64').toString(), 'secret-value');
      // Helm keeps each revision in a Secret it finds again by label selector.
      assert.deepEqual(releases().map((s) => [s.metadata.name, s.metadata.labels?.status]), [['sh.helm.release.v1.demo.v1', 'deployed']]);
    });

    it('upgrades: changed values apply and dropped ones disappear from the live objects', async () => {
      const r = await run(['upgrade', 'demo', CHART, '--namespace', ns, '--set', 'replicas=2']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(deployment()!.spec.replicas, 2);
      assert.deepEqual(envNames(), ['ALWAYS']);
      assert.equal(sim.get('v1', 'ConfigMap', ns, 'demo')!.metadata.labels?.extra, undefined);
      const history = await run(['history', 'demo', '--namespace', ns, '-o', 'json']);
      assert.equal(history.code, 0, history.stderr);
      assert.deepEqual((JSON.parse(history.stdout) as Array<{ revision: number; status: string }>).map((h) => [h.revision, h.status]), [[1, 'superseded'], [2, 'deployed']]);
      const values = await run(['get', 'values', 'demo', '--namespace', ns, '-o', 'json']);
      assert.deepEqual(JSON.parse(values.stdout), { replicas: 2 });
    });

    it('rolls back to the first revision', async () => {
      const r = await run(['rollback', 'demo', '1', '--namespace', ns, '--wait']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(envNames(), ['HTTPS_PROXY', 'ALWAYS']);
      assert.equal(deployment()!.spec.replicas, 1);
      assert.deepEqual(releases().map((s) => s.metadata.labels?.status).sort(), ['deployed', 'superseded', 'superseded']);
    });

    it('uninstalls everything the release created, cluster-scoped objects included', async () => {
      const r = await run(['uninstall', 'demo', '--namespace', ns, '--wait']);
      assert.equal(r.code, 0, r.stderr);
      for (const [apiVersion, kind] of [['v1', 'ServiceAccount'], ['v1', 'Secret'], ['v1', 'ConfigMap'], ['policy/v1', 'PodDisruptionBudget'], ['apps/v1', 'Deployment']] as const) {
        assert.equal(sim.get(apiVersion, kind, ns, 'demo'), undefined, `${kind} left behind`);
      }
      assert.equal(sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, `${ns}.demo`), undefined);
      assert.deepEqual(releases(), []);
      assert.deepEqual(sim.list('v1', 'Pod', ns), [], 'the Deployment\'s pods go with it');
      const list = await run(['list', '--all-namespaces', '-q']);
      assert.equal(list.stdout.trim(), '');
    });
  });
}
