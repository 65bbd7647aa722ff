/**
 * The install path of document 002 end to end, with the real helm (3 and 4): the server's
 * own chart repository (`helm repo add` with the server's private CA), `helm upgrade
 * --install` into the Kubernetes API simulator, then the installed Deployment's container
 * run as a pod would run it (test/helpers/pod.ts). The agent must connect, serve a CI job's
 * kubectl through the server's proxy with the rights the chart bound to its
 * ServiceAccount, pass its probes, and drain and exit on SIGTERM; `helm uninstall` must
 * leave nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/agent.js';
import { createHelmHome, findHelm, HELM_SOURCES, type HelmHome, type HelmMajor } from '../helpers/helm.js';
import { runDeploymentPod, type PodProcess } from '../helpers/pod.js';
import { startConnectProxy } from '../helpers/connect_proxy.js';
import { createJob, ensureProject } from '../helpers/ci.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl, kubeconfigYaml } from '../kube-apiserver/testing/kubectl.js';
import { VERSION } from '../../src/lib/version.js';

const NAMESPACE = 'kubegate-agent-prod';
const DEPLOYMENT = 'prod-kubegate-agent';

for (const major of [3, 4] as const satisfies HelmMajor[]) {
  const found = await findHelm(major);
  describe(`the agent chart from the server's repository, with helm ${HELM_SOURCES[major].version}`, { skip: found.missing }, () => {
    let sim: KubeApiSimulator;
    let server: TestServer;
    let h: HelmHome;
    let agent: { projectId: number; agentId: number; token: string };
    const pods: PodProcess[] = [];

    before(async () => {
      sim = await startKubeApiServer({ podLogIntervalMs: 200 });
      server = await startTestServer({ tls: true });
      h = await createHelmHome(found.path!, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }));
      const project = await ensureProject(server, 'acme/clusters');
      const registered = await server.api('POST', `/projects/${project.id}/cluster_agents`, { name: 'prod' });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const token = await server.api('POST', `/projects/${project.id}/cluster_agents/${registered.body.id}/tokens`, { name: 'first' });
      assert.equal(token.status, 201, JSON.stringify(token.body));
      agent = { projectId: project.id, agentId: registered.body.id, token: token.body.token };
    });

    after(async () => {
      await Promise.all(pods.map((p) => p.terminate()));
      await server?.close();
      await sim?.close();
      await h?.cleanup();
    });

    const connections = async () => {
      const r = await server.api('GET', `/projects/${agent.projectId}/cluster_agents/${agent.agentId}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.connections as Array<{ pod_name: string; pod_namespace: string; version: string }>;
    };

    it('adds the server as a chart repository with its private CA, holding the chart at the server\'s version', async () => {
      const add = await h.helm(['repo', 'add', 'kubegate', `${server.url}/-/charts`, '--ca-file', server.caCertFile!]);
      assert.equal(add.code, 0, add.stderr);
      const search = await h.helm(['search', 'repo', 'kubegate/kubegate-agent', '-o', 'json']);
      assert.equal(search.code, 0, search.stderr);
      assert.deepEqual(
        (JSON.parse(search.stdout) as Array<{ name: string; version: string; app_version: string }>).map((c) => [c.name, c.version, c.app_version]),
        [['kubegate/kubegate-agent', VERSION.version, VERSION.version]],
      );
      // Without the CA, the server's certificate is not trusted: the reason a private CA needs --ca-file.
      const untrusted = await h.helm(['repo', 'add', 'untrusted', `${server.url}/-/charts`]);
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /certificate/);
    });

    /** The install command's arguments (as `kubegate agent register` prints them). */
    const installArgs = () => [
      'upgrade', '--install', 'prod', 'kubegate/kubegate-agent',
      '--namespace', NAMESPACE, '--create-namespace',
      '--set', `config.token=${agent.token}`,
      '--set', `config.kasAddress=${server.url.replace(/^https/, 'wss')}/-/kubernetes-agent/`,
      '--set-file', `config.kasCaCert=${server.caCertFile}`,
      '--set', `image.tag=${VERSION.version}`,
    ];

    it('installs from the repository into the cluster', async () => {
      const install = await h.helm([...installArgs(), '--wait', '--timeout', '60s'], { timeoutMs: 90_000 });
      assert.equal(install.code, 0, install.stderr);
      const deployment = sim.get('apps/v1', 'Deployment', NAMESPACE, DEPLOYMENT) as any;
      assert.equal(deployment.spec.replicas, 2);
      assert.equal(deployment.spec.template.spec.containers[0].image, `kubegate/kubegate:${VERSION.version}`);
      assert.equal(deployment.spec.template.spec.terminationGracePeriodSeconds, 30);
      // The token reaches the pods as a mounted Secret only: never in the Deployment.
      assert.ok(!JSON.stringify(deployment).includes(agent.token));
      const manifest = await h.helm(['get', 'manifest', 'prod', '--namespace', NAMESPACE]);
      assert.ok(!manifest.stdout.includes(agent.token), 'the rendered manifests hold the token base64-encoded in the Secret only');
      const secret = sim.get('v1', 'Secret', NAMESPACE, `${DEPLOYMENT}-token`) as any;
      assert.equal(Buffer.from(secret.data.token, 'base64').toString(), agent.token);
      const ca = sim.get('v1', 'ConfigMap', NAMESPACE, `${DEPLOYMENT}-kas-ca`) as any;
      assert.equal(ca.data['ca.crt'].trim(), (await readFile(server.caCertFile!, 'utf8')).trim());
      assert.ok(sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, `${NAMESPACE}.${DEPLOYMENT}`));
      assert.ok(sim.get('policy/v1', 'PodDisruptionBudget', NAMESPACE, DEPLOYMENT));
    });

    it("runs the Deployment's container as a pod: it connects with the pod's name and namespace and turns ready", async () => {
      const pod = await runDeploymentPod(sim, NAMESPACE, DEPLOYMENT);
      pods.push(pod);
      assert.ok(!Object.values(pod.env).some((v) => v.includes(agent.token)), 'no environment variable holds the token');
      assert.deepEqual(pod.argv, ['agent']);
      const [conn] = await eventually(async () => {
        const list = await connections();
        return list.length === 1 ? list : undefined;
      }, 30_000, 'the pod connected');
      assert.equal(conn!.pod_name, pod.podName);
      assert.equal(conn!.pod_namespace, NAMESPACE);
      assert.equal(conn!.version, VERSION.version);
      assert.equal(await pod.probe('livenessProbe'), 200);
      await eventually(async () => ((await pod.probe('readinessProbe')) === 200 ? true : undefined), 10_000, 'the pod ready');
      // The second replica holds its own connection.
      const second = await runDeploymentPod(sim, NAMESPACE, DEPLOYMENT);
      pods.push(second);
      await eventually(async () => ((await connections()).length === 2 ? true : undefined), 30_000, 'two pods connected');
    });

    it("serves a CI job's kubectl through the proxy as the chart's ServiceAccount", async () => {
      const job = await createJob(server, 'acme/clusters');
      try {
        const context = 'acme/clusters:prod';
        const whoami = await kubectl(job.kenv, ['--context', context, 'auth', 'whoami', '-o', 'json']);
        assert.equal(whoami.code, 0, whoami.stderr);
        assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, `system:serviceaccount:${NAMESPACE}:${DEPLOYMENT}`);
        // cluster-admin by default (document 002): the job sees the agent's own Deployment.
        const get = await kubectl(job.kenv, ['--context', context, 'get', 'deployments', '-n', NAMESPACE, '-o', 'name']);
        assert.equal(get.code, 0, get.stderr);
        assert.equal(get.stdout.trim(), `deployment.apps/${DEPLOYMENT}`);
      } finally {
        await job.kenv.cleanup();
      }
    });

    it('drains and exits 0 on SIGTERM within the grace period; the server drops that connection', async () => {
      const pod = pods.shift()!;
      const { code, signal, ms } = await pod.terminate();
      assert.equal(signal, null, `the agent was killed after ${ms} ms instead of exiting`);
      assert.equal(code, 0);
      assert.ok(pod.logs.some((l) => l.msg === 'kubegate agent stopped'));
      const left = await eventually(async () => {
        const list = await connections();
        return list.length === 1 ? list : undefined;
      }, 15_000, 'the stopped pod disconnected');
      assert.equal(left[0]!.pod_name, pods[0]!.podName);
    });

    it('extraEnv: proxy variables, in lower case too, reach the agent', async () => {
      const proxy = await startConnectProxy();
      try {
        const upgrade = await h.helm([...installArgs(), '--set', 'extraEnv[0].name=https_proxy', '--set', `extraEnv[0].value=${proxy.url}`, '--set', 'extraEnv[1].name=NO_PROXY', '--set', 'extraEnv[1].value=.cluster.local']);
        assert.equal(upgrade.code, 0, upgrade.stderr);
        const pod = await runDeploymentPod(sim, NAMESPACE, DEPLOYMENT);
        pods.push(pod);
        assert.equal(pod.env.https_proxy, proxy.url);
        await eventually(async () => ((await connections()).some((c) => c.pod_name === pod.podName) ? true : undefined), 30_000, 'the pod connected through the proxy');
        assert.deepEqual(proxy.tunnels, [new URL(server.url).host]);
      } finally {
        await Promise.all(pods.splice(0).map((p) => p.terminate()));
        await proxy.close();
      }
    });

    it('uninstalls everything the chart created', async () => {
      await Promise.all(pods.splice(0).map((p) => p.terminate()));
      const r = await h.helm(['uninstall', 'prod', '--namespace', NAMESPACE, '--wait']);
      assert.equal(r.code, 0, r.stderr);
      const left = [
        ...['Secret', 'ConfigMap', 'ServiceAccount', 'Service'].flatMap((kind) => sim.list('v1', kind, NAMESPACE)),
        ...sim.list('apps/v1', 'Deployment', NAMESPACE),
        ...sim.list('policy/v1', 'PodDisruptionBudget', NAMESPACE),
        ...sim.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
      ].filter((o) => o.metadata.labels?.['app.kubernetes.io/instance'] === 'prod' || o.metadata.labels?.owner === 'helm');
      assert.deepEqual(left.map((o) => `${o.kind}/${o.metadata.name}`), []);
    });
  });
}
