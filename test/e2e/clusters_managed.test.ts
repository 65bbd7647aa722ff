/**
 * GitLab-managed certificate-based clusters end to end: the first job of a project and
 * environment gets a namespace `<project path>-<project id>-<environment slug>`, a
 * service account and an `admin` RoleBinding, made through the cluster's API (the
 * Kubernetes API simulator); its `gitlab-deploy` context and the KUBE_* variables of
 * `GET /job/variables` use them, and the real kubectl works in that namespace only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch } from '../helpers/git.js';
import { jobEnvironment, jobVariables } from '../helpers/job_variables.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';

let server: TestServer;
let sim: KubeApiSimulator;
let project: { id: number; path_with_namespace: string };
const RBAC = 'rbac.authorization.k8s.io/v1';

async function job(projectId: number, environment?: string): Promise<{ token: string; slug: string | null }> {
  // A job runs on a ref that exists.
  const { body: p } = await server.api('GET', `/projects/${projectId}`);
  await ensureBranch(server, p.path_with_namespace, 'main');
  const res = await server.api('POST', `/projects/${projectId}/jobs`, { ref: 'main', ...(environment ? { environment } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { token: res.body.token, slug: res.body.environment?.slug ?? null };
}

async function addCluster(path: string, body: Record<string, unknown>): Promise<number> {
  const res = await server.api('POST', path, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

function managedCluster(token: string, extra: Record<string, unknown> = {}, platform: Record<string, unknown> = {}) {
  return { name: 'managed', managed: true, ...extra, platform_kubernetes_attributes: { api_url: sim.url, ca_cert: sim.caCert, token, ...platform } };
}

before(async () => {
  [server, sim] = await Promise.all([startTestServer(), startKubeApiServer()]);
  project = await ensureProject(server, 'shop/web-app');
});

after(async () => {
  await Promise.all([server?.close(), sim?.close()]);
});

describe('a GitLab-managed project cluster', () => {
  let clusterId = 0;
  before(async () => {
    // The cluster's own token: cluster-admin, as GitLab asks for managed clusters.
    clusterId = await addCluster(`/projects/${project.id}/clusters/user`, managedCluster(sim.adminToken));
  });
  after(async () => {
    assert.equal((await server.api('DELETE', `/projects/${project.id}/clusters/${clusterId}`)).status, 204);
  });

  test('the first job of an environment makes its namespace, service account and admin RoleBinding; kubectl works there only', async () => {
    const { token, slug } = await job(project.id, 'production');
    const namespace = `web-app-${project.id}-${slug}`;
    assert.equal(slug, 'production');
    assert.equal(sim.get('v1', 'Namespace', undefined, namespace), undefined, 'nothing exists before the job needs it');

    const variables = await jobVariables(server, token);
    const byKey = Object.fromEntries(variables.map((v) => [v.key, v]));
    assert.deepEqual(Object.keys(byKey).sort(), ['KUBECONFIG', 'KUBE_CA_PEM', 'KUBE_CA_PEM_FILE', 'KUBE_NAMESPACE', 'KUBE_TOKEN', 'KUBE_URL']);
    assert.equal(byKey.KUBE_NAMESPACE!.value, namespace);
    assert.equal(byKey.KUBE_URL!.value, sim.url);
    assert.equal(byKey.KUBE_CA_PEM_FILE!.variable_type, 'file');
    assert.equal(byKey.KUBE_CA_PEM_FILE!.value, sim.caCert);
    assert.equal(byKey.KUBECONFIG!.variable_type, 'file');
    assert.equal(byKey.KUBE_TOKEN!.masked, true);
    assert.notEqual(byKey.KUBE_TOKEN!.value, sim.adminToken, "the job never gets the cluster's own token");

    // The objects GitLab makes, with GitLab's names.
    assert.ok(sim.get('v1', 'Namespace', undefined, namespace));
    assert.ok(sim.get('v1', 'ServiceAccount', namespace, `${namespace}-service-account`));
    const binding = sim.get(RBAC, 'RoleBinding', namespace, `gitlab-${namespace}`);
    assert.deepEqual(binding?.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' });
    assert.deepEqual(binding?.subjects, [{ kind: 'ServiceAccount', name: `${namespace}-service-account`, namespace }]);
    assert.equal(sim.userForToken(byKey.KUBE_TOKEN!.value)?.username, `system:serviceaccount:${namespace}:${namespace}-service-account`);

    const kenv = await jobEnvironment(variables);
    try {
      const config = parseYaml(byKey.KUBECONFIG!.value);
      assert.equal(config['current-context'], 'gitlab-deploy');
      assert.equal(config.contexts.find((c: { name: string }) => c.name === 'gitlab-deploy').context.namespace, namespace);
      const whoami = await kubectl(kenv, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(whoami.stdout, `system:serviceaccount:${namespace}:${namespace}-service-account`);
      const create = await kubectl(kenv, ['create', 'configmap', 'release', '--from-literal=version=1']);
      assert.equal(create.code, 0, create.stderr);
      assert.equal((sim.get('v1', 'ConfigMap', namespace, 'release')?.data as Record<string, string>).version, '1');
      const get = await kubectl(kenv, ['get', 'configmap', 'release', '-o', 'jsonpath={.data.version}']);
      assert.equal(get.stdout, '1', get.stderr);
      // `admin` in its namespace, nothing elsewhere.
      const elsewhere = await kubectl(kenv, ['get', 'pods', '-n', 'kube-system']);
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.stderr, /Forbidden.*cannot list resource "pods".*in the namespace "kube-system"/);
    } finally {
      await kenv.cleanup();
    }
  });

  test('later jobs of the environment reuse what was made; another environment gets its own namespace', async () => {
    const first = await job(project.id, 'production');
    sim.clearRequests();
    const again = await jobVariables(server, first.token);
    assert.equal(sim.requests.length, 0, 'nothing asked of the cluster the second time');
    const namespace = again.find((v) => v.key === 'KUBE_NAMESPACE')!.value;
    assert.equal(namespace, `web-app-${project.id}-production`);

    const review = await job(project.id, 'review/fix-login');
    assert.match(review.slug!, /^review-fix-login/);
    const reviewVars = await jobVariables(server, review.token);
    assert.equal(reviewVars.find((v) => v.key === 'KUBE_NAMESPACE')!.value, `web-app-${project.id}-${review.slug}`);
    assert.ok(sim.get('v1', 'Namespace', undefined, `web-app-${project.id}-${review.slug}`));
    const reviewToken = reviewVars.find((v) => v.key === 'KUBE_TOKEN')!.value;
    assert.notEqual(reviewToken, again.find((v) => v.key === 'KUBE_TOKEN')!.value, 'one service account per environment');

    // A job without environment: <project path>-<project id>.
    const plain = await job(project.id);
    assert.equal((await jobVariables(server, plain.token)).find((v) => v.key === 'KUBE_NAMESPACE')!.value, `web-app-${project.id}`);
  });

  test('the kubeconfig route and the variables agree; clearing the cache makes the objects again', async () => {
    const { token } = await job(project.id, 'production');
    const res = await server.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': token } });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal((await jobVariables(server, token)).find((v) => v.key === 'KUBECONFIG')!.value, text);

    const namespace = `web-app-${project.id}-production`;
    sim.delete('v1', 'Namespace', undefined, namespace);
    const cleared = await server.api('DELETE', `/projects/${project.id}/clusters/${clusterId}/kubernetes_namespaces`);
    assert.equal(cleared.status, 204);
    const next = await job(project.id, 'production');
    await jobVariables(server, next.token);
    assert.ok(sim.get('v1', 'Namespace', undefined, namespace), 'made again after the cache was cleared');
    assert.ok(sim.get('v1', 'ServiceAccount', namespace, `${namespace}-service-account`));
  });
});

describe('managed clusters: namespace overrides, refusals, unmanaged clusters', () => {
  test("a project cluster's namespace replaces the generated name; a group cluster's does not", async () => {
    const other = await ensureProject(server, 'shop/api');
    const id = await addCluster(`/projects/${other.id}/clusters/user`, managedCluster(sim.adminToken, { environment_scope: 'staging' }, { namespace: 'api-staging' }));
    const groupId = (await server.api('GET', '/groups/shop')).body.id;
    const groupCluster = await addCluster(`/groups/${groupId}/clusters/user`, managedCluster(sim.adminToken, { environment_scope: 'qa' }, { namespace: 'ignored-for-groups' }));
    try {
      const staging = await job(other.id, 'staging');
      assert.equal((await jobVariables(server, staging.token)).find((v) => v.key === 'KUBE_NAMESPACE')!.value, 'api-staging');
      assert.ok(sim.get(RBAC, 'RoleBinding', 'api-staging', 'gitlab-api-staging'));
      const qa = await job(other.id, 'qa');
      assert.equal((await jobVariables(server, qa.token)).find((v) => v.key === 'KUBE_NAMESPACE')!.value, `api-${other.id}-qa`);
    } finally {
      assert.equal((await server.api('DELETE', `/projects/${other.id}/clusters/${id}`)).status, 204);
      assert.equal((await server.api('DELETE', `/groups/${groupId}/clusters/${groupCluster}`)).status, 204);
    }
  });

  test('a cluster token without rights: the job is told what failed and what to do, and gets no kubeconfig', async () => {
    const weak = await ensureProject(server, 'shop/weak');
    sim.addToken('weak-token-0123456789', { username: 'nobody' });
    const id = await addCluster(`/projects/${weak.id}/clusters/user`, managedCluster('weak-token-0123456789'));
    try {
      const { token } = await job(weak.id, 'production');
      for (const path of ['/api/v4/job/kubeconfig', '/api/v4/job/variables']) {
        const res = await server.fetch(path, { headers: { 'JOB-TOKEN': token } });
        assert.equal(res.status, 503, path);
        const { message } = (await res.json()) as { message: string };
        assert.match(message, new RegExp(`Kubegate could not prepare the GitLab-managed namespace "weak-${weak.id}-production" in cluster "managed" \\(id ${id}\\)`));
        assert.match(message, /403/);
        assert.match(message, /cluster-admin.*or set managed to false/);
      }
    } finally {
      assert.equal((await server.api('DELETE', `/projects/${weak.id}/clusters/${id}`)).status, 204);
    }
  });

  test('an unmanaged cluster: its own token and namespace, nothing made in the cluster', async () => {
    const plain = await ensureProject(server, 'shop/plain');
    sim.addToken('deployer-token-0123456789', { username: 'deployer' });
    const id = await addCluster(`/projects/${plain.id}/clusters/user`, managedCluster('deployer-token-0123456789', { managed: false }, { namespace: 'plain-ns' }));
    try {
      sim.clearRequests();
      const { token } = await job(plain.id, 'production');
      const vars = Object.fromEntries((await jobVariables(server, token)).map((v) => [v.key, v.value]));
      assert.equal(vars.KUBE_NAMESPACE, 'plain-ns');
      assert.equal(vars.KUBE_TOKEN, 'deployer-token-0123456789');
      assert.equal(sim.requests.length, 0);
    } finally {
      assert.equal((await server.api('DELETE', `/projects/${plain.id}/clusters/${id}`)).status, 204);
    }
  });

  test('a job with no cluster and no agent has no variables; a bad job token is 401', async () => {
    const lone = await ensureProject(server, 'solo/lone');
    const { token } = await job(lone.id);
    assert.deepEqual(await jobVariables(server, token), []);
    const res = await server.fetch('/api/v4/job/variables', { headers: { 'JOB-TOKEN': 'nope' } });
    assert.equal(res.status, 401);
    assert.equal((await server.fetch('/api/v4/job/variables')).status, 401);
  });
});
