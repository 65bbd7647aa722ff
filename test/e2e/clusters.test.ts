/**
 * Certificate-based clusters end to end: the GitLab-shaped API at project, group and
 * instance level (permissions, validation, conflicts, the write-only encrypted token),
 * and the `gitlab-deploy` context a job's kubeconfig gets — used with the real kubectl
 * against the Kubernetes API simulator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type ApiClient, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch } from '../helpers/git.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';

const DEPLOY_TOKEN = 'deploy-token-0123456789abcdef';

let server: TestServer;
let sim: KubeApiSimulator;
let maintainer: ApiClient;
let developer: ApiClient;
let outsider: ApiClient;
const ids = { root: 0, sub: 0, app: 0, deep: 0, other: 0 };

/** Unmanaged unless asked: a managed cluster's jobs get namespaces of their own (clusters_managed.test.ts). */
function cluster(overrides: Record<string, unknown> = {}, platform: Record<string, unknown> = {}) {
  return {
    name: 'prod-cluster',
    managed: false,
    ...overrides,
    platform_kubernetes_attributes: { api_url: sim.url, token: DEPLOY_TOKEN, ca_cert: sim.caCert, ...platform },
  };
}

async function makeUser(username: string, membership: Array<[kind: 'groups' | 'projects', id: number, level: number]>): Promise<ApiClient> {
  const user = await server.api('POST', '/users', { username, name: username, email: `${username}@example.com` });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  for (const [kind, id, level] of membership) {
    const res = await server.api('POST', `/${kind}/${id}/members`, { user_id: user.body.id, access_level: level });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const pat = await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] });
  return server.api.as(pat.body.token);
}

async function add(path: string, body: unknown, api: ApiClient = server.api): Promise<any> {
  const res = await api('POST', path, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function kubeconfigFor(projectId: number, environment?: string): Promise<{ text: string; config: any; token: string }> {
  const project = (await server.api('GET', `/projects/${projectId}`)).body as { path_with_namespace: string };
  await ensureBranch(server, project.path_with_namespace, 'main');
  const job = await server.api('POST', `/projects/${projectId}/jobs`, { ref: 'main', ...(environment ? { environment } : {}) });
  assert.equal(job.status, 201, JSON.stringify(job.body));
  const res = await server.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': job.body.token } });
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, config: parseYaml(text), token: job.body.token };
}

function deployOf(config: any): { server: string; namespace: string; token: string } | undefined {
  const context = config.contexts.find((c: { name: string }) => c.name === 'gitlab-deploy');
  if (!context) return undefined;
  const clusterEntry = config.clusters.find((c: { name: string }) => c.name === context.context.cluster);
  const user = config.users.find((u: { name: string }) => u.name === context.context.user);
  return { server: clusterEntry.cluster.server, namespace: context.context.namespace, token: user.user.token };
}

before(async () => {
  [server, sim] = await Promise.all([startTestServer(), startKubeApiServer()]);
  sim.addToken(DEPLOY_TOKEN, { username: 'gitlab-deployer', groups: ['system:authenticated'] });
  ids.app = (await ensureProject(server, 'corp/app')).id;
  ids.deep = (await ensureProject(server, 'corp/team/deep/svc')).id;
  ids.other = (await ensureProject(server, 'corp/team/other')).id;
  ids.root = (await server.api('GET', '/groups/corp')).body.id;
  ids.sub = (await server.api('GET', `/groups/${encodeURIComponent('corp/team')}`)).body.id;
  maintainer = await makeUser('maint', [['projects', ids.app, 40], ['groups', ids.sub, 40]]);
  developer = await makeUser('devel', [['projects', ids.app, 30], ['groups', ids.sub, 30]]);
  outsider = await makeUser('stranger', []);
});

after(async () => {
  await Promise.all([server?.close(), sim?.close()]);
});

describe('project clusters API', () => {
  test('a maintainer adds a cluster; the answer has GitLab\'s shape and never the token', async () => {
    const body = await add(`/projects/${ids.app}/clusters/user`, cluster({ name: 'app-cluster', environment_scope: 'review/*', managed: false }, { namespace: 'app-review' }), maintainer);
    assert.equal(body.name, 'app-cluster');
    assert.equal(body.environment_scope, 'review/*');
    assert.equal(body.cluster_type, 'project_type');
    assert.equal(body.provider_type, 'user');
    assert.equal(body.platform_type, 'kubernetes');
    assert.equal(body.managed, false);
    assert.equal(body.enabled, true);
    assert.equal(body.user.username, 'maint');
    assert.deepEqual(body.platform_kubernetes, { api_url: sim.url, namespace: 'app-review', authorization_type: 'rbac', ca_cert: sim.caCert });
    assert.equal(body.project.id, ids.app);
    assert.equal(body.project.path_with_namespace, 'corp/app');
    assert.doesNotMatch(JSON.stringify(body), new RegExp(DEPLOY_TOKEN));
    const one = await maintainer('GET', `/projects/${ids.app}/clusters/${body.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, body);
    const list = await maintainer('GET', `/projects/${ids.app}/clusters`);
    assert.deepEqual(list.body.map((c: { id: number }) => c.id), [body.id]);
    assert.doesNotMatch(JSON.stringify(list.body), new RegExp(DEPLOY_TOKEN));
    const deleted = await maintainer('DELETE', `/projects/${ids.app}/clusters/${body.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await maintainer('GET', `/projects/${ids.app}/clusters/${body.id}`)).status, 404);
    assert.equal((await maintainer('DELETE', `/projects/${ids.app}/clusters/${body.id}`)).status, 404);
  });

  test('defaults: environment scope *, managed and enabled', async () => {
    const body = await add(`/projects/${ids.other}/clusters/user`, cluster({ managed: undefined }, { ca_cert: undefined }));
    assert.equal(body.environment_scope, '*');
    assert.equal(body.managed, true);
    assert.equal(body.enabled, true);
    assert.equal(body.platform_kubernetes.ca_cert, null);
    assert.equal(body.platform_kubernetes.namespace, null);
    assert.equal((await server.api('DELETE', `/projects/${ids.other}/clusters/${body.id}`)).status, 204);
  });

  test('the token is stored encrypted with a key file created 0600 in the data dir', async () => {
    const body = await add(`/projects/${ids.other}/clusters/user`, cluster({ environment_scope: 'sealed' }));
    const row = await server.app.store.db.selectFrom('clusters').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.token_encrypted, new RegExp(DEPLOY_TOKEN));
    assert.doesNotMatch(Buffer.from(row.token_encrypted.split(':').at(-1)!, 'base64').toString('latin1'), new RegExp(DEPLOY_TOKEN));
    assert.equal((await stat(join(server.dataDir, 'keys', 'secrets.key'))).mode & 0o777, 0o600);
    assert.equal((await server.api('DELETE', `/projects/${ids.other}/clusters/${body.id}`)).status, 204);
  });

  test('developers get 403, non-members 404, anonymous callers 401', async () => {
    const path = `/projects/${ids.app}/clusters`;
    assert.equal((await developer('POST', `${path}/user`, cluster())).status, 403);
    assert.equal((await developer('GET', path)).status, 403);
    assert.equal((await outsider('POST', `${path}/user`, cluster())).status, 404);
    assert.equal((await outsider('GET', path)).status, 404);
    assert.equal((await server.api('POST', `${path}/user`, cluster(), null)).status, 401);
    assert.equal((await server.api('GET', path, undefined, null)).status, 401);
    assert.equal((await server.api('GET', `/groups/${ids.sub}/clusters`, undefined, null)).status, 401);
  });

  test('bad input answers 400 naming the field and the rule', async () => {
    const path = `/projects/${ids.app}/clusters/user`;
    const cases: Array<[body: unknown, message: RegExp]> = [
      [{ ...cluster(), name: undefined }, /name is missing/],
      [{ ...cluster(), name: '  ' }, /name can't be blank/],
      [{ name: 'x' }, /platform_kubernetes_attributes is missing/],
      [cluster({}, { api_url: 'http://kubernetes.example.com' }), /platform_kubernetes_attributes\.api_url must be an https:\/\/ URL/],
      [cluster({}, { api_url: 'not a url' }), /api_url must be an https:\/\/ URL/],
      [cluster({}, { api_url: undefined }), /platform_kubernetes_attributes\.api_url is missing/],
      [cluster({}, { token: undefined }), /platform_kubernetes_attributes\.token is missing/],
      [cluster({}, { token: '' }), /token can't be blank/],
      [cluster({}, { ca_cert: 'not a certificate' }), /ca_cert must be a valid PEM certificate/],
      [cluster({}, { ca_cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), /ca_cert must be a valid PEM certificate/],
      [cluster({}, { namespace: 'Bad_NS' }), /namespace can contain only lowercase letters, digits, and '-'/],
      [cluster({}, { namespace: 'gitlab-managed-apps' }), /reserved/],
      [cluster({}, { tokn: 'x' }), /tokn: unknown field/],
      [cluster({ environment_scope: 'prod!' }), /environment_scope can contain only letters, digits/],
      [cluster({ environment_scope: '' }), /environment_scope can't be blank/],
      [cluster({ managed: 'maybe' }), /managed/],
    ];
    for (const [body, message] of cases) {
      const res = await server.api('POST', path, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
  });

  test('a duplicate environment scope at the same level is 409; other levels and projects are free', async () => {
    const first = await add(`/projects/${ids.app}/clusters/user`, cluster({ environment_scope: 'staging' }));
    const dup = await server.api('POST', `/projects/${ids.app}/clusters/user`, cluster({ name: 'again', environment_scope: 'staging' }));
    assert.equal(dup.status, 409);
    assert.match(dup.body.message, /^Environment scope has already been taken/);
    const elsewhere = await add(`/projects/${ids.other}/clusters/user`, cluster({ environment_scope: 'staging' }));
    const group = await add(`/groups/${ids.sub}/clusters/user`, cluster({ environment_scope: 'staging' }));
    for (const [path, id] of [[`/projects/${ids.app}`, first.id], [`/projects/${ids.other}`, elsewhere.id], [`/groups/${ids.sub}`, group.id]] as const) {
      assert.equal((await server.api('DELETE', `${path}/clusters/${id}`)).status, 204);
    }
  });
});

describe('group and instance clusters API', () => {
  test('group: maintainers add and list, developers 403, outsiders 404; a project cannot read it through its own path', async () => {
    const body = await add(`/groups/${ids.sub}/clusters/user`, cluster({ environment_scope: 'gtest' }), maintainer);
    assert.equal(body.cluster_type, 'group_type');
    assert.equal(body.group.id, ids.sub);
    assert.equal(body.group.full_path, 'corp/team');
    assert.equal(body.project, undefined);
    const list = await maintainer('GET', `/groups/${encodeURIComponent('corp/team')}/clusters`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((c: { id: number }) => c.id), [body.id]);
    assert.equal((await developer('GET', `/groups/${ids.sub}/clusters`)).status, 403);
    assert.equal((await developer('POST', `/groups/${ids.sub}/clusters/user`, cluster())).status, 403);
    assert.equal((await outsider('GET', `/groups/${ids.root}/clusters`)).status, 404);
    assert.equal((await server.api('GET', `/projects/${ids.deep}/clusters/${body.id}`)).status, 404);
    assert.equal((await server.api('DELETE', `/groups/${ids.sub}/clusters/${body.id}`)).status, 204);
  });

  test('instance: administrators only', async () => {
    const body = await add('/admin/clusters/add', cluster({ environment_scope: 'itest' }));
    assert.equal(body.cluster_type, 'instance_type');
    assert.equal(body.project, undefined);
    assert.equal(body.group, undefined);
    const list = await server.api('GET', '/admin/clusters');
    assert.deepEqual(list.body.map((c: { id: number }) => c.id), [body.id]);
    assert.equal((await maintainer('GET', '/admin/clusters')).status, 403);
    assert.equal((await maintainer('POST', '/admin/clusters/add', cluster())).status, 403);
    assert.equal((await server.api('GET', '/admin/clusters', undefined, null)).status, 401);
    const dup = await server.api('POST', '/admin/clusters/add', cluster({ environment_scope: 'itest' }));
    assert.equal(dup.status, 409);
    assert.equal((await server.api('DELETE', `/admin/clusters/${body.id}`)).status, 204);
  });
});

describe('the gitlab-deploy context of a job', () => {
  const created: Array<{ path: string; id: number }> = [];

  async function addCluster(level: string, body: unknown): Promise<number> {
    const res = await add(level === 'instance' ? '/admin/clusters/add' : `${level}/clusters/user`, body);
    created.push({ path: level === 'instance' ? '/admin/clusters' : `${level}/clusters`, id: res.id });
    return res.id;
  }

  async function removeAll(): Promise<void> {
    for (const c of created.splice(0)) assert.equal((await server.api('DELETE', `${c.path}/${c.id}`)).status, 204);
  }

  test('a project cluster for * is the current context; kubectl reaches it with its token and namespace', async () => {
    await addCluster(`/projects/${ids.app}`, cluster({}, { namespace: 'apps' }));
    const agent = await server.api('POST', `/projects/${ids.app}/cluster_agents`, { name: 'local' });
    assert.equal(agent.status, 201);
    try {
      const { config, text } = await kubeconfigFor(ids.app);
      assert.equal(config['current-context'], 'gitlab-deploy');
      assert.deepEqual(config.contexts.map((c: { name: string }) => c.name), ['corp/app:local', 'gitlab-deploy']);
      assert.deepEqual(deployOf(config), { server: sim.url, namespace: 'apps', token: DEPLOY_TOKEN });
      const ca = config.clusters.find((c: { name: string }) => c.name === 'gitlab-deploy').cluster['certificate-authority-data'];
      assert.equal(Buffer.from(ca, 'base64').toString(), sim.caCert);
      const dir = await mkdtemp(join(tmpdir(), 'kubegate-deploy-'));
      try {
        const kubeconfig = join(dir, 'kubeconfig');
        await writeFile(kubeconfig, text, { mode: 0o600 });
        const kenv = { dir, kubeconfig, env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') }, cleanup: async () => undefined };
        const whoami = await kubectl(kenv, ['auth', 'whoami', '-o', 'json']);
        assert.equal(whoami.code, 0, whoami.stderr);
        assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, 'gitlab-deployer');
        const ns = await kubectl(kenv, ['config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace}']);
        assert.equal(ns.stdout, 'apps');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await server.api('DELETE', `/projects/${ids.app}/cluster_agents/${agent.body.id}`);
      await removeAll();
    }
  });

  test('no namespace given: <project path>-<project id>; no cluster: no gitlab-deploy and no current context', async () => {
    await addCluster(`/projects/${ids.deep}`, cluster());
    const { config } = await kubeconfigFor(ids.deep);
    assert.equal(deployOf(config)?.namespace, `svc-${ids.deep}`);
    await removeAll();
    const none = await kubeconfigFor(ids.deep);
    assert.equal(deployOf(none.config), undefined);
    assert.equal(none.config['current-context'], undefined);
    assert.equal(none.config.clusters.length, 1);
  });

  test('the most specific level wins: project > nearest group > farther group > instance', async () => {
    const scopes = { instance: 'i-ns', root: 'root-ns', sub: 'sub-ns', project: 'project-ns' };
    await addCluster('instance', cluster({ environment_scope: 'production' }, { namespace: scopes.instance }));
    assert.equal(deployOf((await kubeconfigFor(ids.deep, 'production')).config)?.namespace, scopes.instance);
    await addCluster(`/groups/${ids.root}`, cluster({ environment_scope: 'production' }, { namespace: scopes.root }));
    assert.equal(deployOf((await kubeconfigFor(ids.deep, 'production')).config)?.namespace, scopes.root);
    await addCluster(`/groups/${ids.sub}`, cluster({ environment_scope: '*' }, { namespace: scopes.sub }));
    assert.equal(deployOf((await kubeconfigFor(ids.deep, 'production')).config)?.namespace, scopes.sub, 'a nearer level wins even with a wildcard scope');
    await addCluster(`/projects/${ids.deep}`, cluster({ environment_scope: 'prod*' }, { namespace: scopes.project }));
    assert.equal(deployOf((await kubeconfigFor(ids.deep, 'production')).config)?.namespace, scopes.project);
    // A job of a project outside corp/team sees only the root group's and the instance's.
    assert.equal(deployOf((await kubeconfigFor(ids.app, 'production')).config)?.namespace, scopes.root);
    // prod* is anchored: nonprod falls through to the subgroup's *.
    assert.equal(deployOf((await kubeconfigFor(ids.deep, 'nonprod')).config)?.namespace, scopes.sub);
    await removeAll();
  });

  test('within a level an exact scope beats a wildcard; a job without environment matches only *', async () => {
    await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: '*' }, { namespace: 'star' }));
    await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: 'review/*' }, { namespace: 'reviews' }));
    await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: 'review/special' }, { namespace: 'special' }));
    assert.equal(deployOf((await kubeconfigFor(ids.app, 'review/special')).config)?.namespace, 'special');
    assert.equal(deployOf((await kubeconfigFor(ids.app, 'review/other')).config)?.namespace, 'reviews');
    assert.equal(deployOf((await kubeconfigFor(ids.app, 'production')).config)?.namespace, 'star');
    assert.equal(deployOf((await kubeconfigFor(ids.app)).config)?.namespace, 'star');
    await removeAll();
    await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: 'production' }));
    assert.equal(deployOf((await kubeconfigFor(ids.app)).config), undefined, 'no environment: only * applies');
    await removeAll();
  });

  test('PUT changes a cluster: a rotated token reaches the next job, a taken scope is 409, disabling removes it', async () => {
    const id = await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: 'production' }, { namespace: 'before' }));
    await addCluster(`/projects/${ids.app}`, cluster({ environment_scope: 'staging' }));
    const path = `/projects/${ids.app}/clusters/${id}`;
    const updated = await maintainer('PUT', path, { name: 'renamed', platform_kubernetes_attributes: { token: 'rotated-token', namespace: '' } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'renamed');
    assert.equal(updated.body.platform_kubernetes.namespace, null);
    assert.equal(updated.body.platform_kubernetes.ca_cert, sim.caCert, 'fields not given stay');
    assert.doesNotMatch(JSON.stringify(updated.body), /rotated-token/);
    assert.deepEqual(deployOf((await kubeconfigFor(ids.app, 'production')).config), { server: sim.url, namespace: `app-${ids.app}`, token: 'rotated-token' });
    const taken = await maintainer('PUT', path, { environment_scope: 'staging' });
    assert.equal(taken.status, 409);
    assert.match(taken.body.message, /^Environment scope has already been taken/);
    const bad = await maintainer('PUT', path, { platform_kubernetes_attributes: { api_url: 'http://insecure' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /api_url must be an https:\/\/ URL/);
    assert.equal((await developer('PUT', path, { enabled: false })).status, 403);
    assert.equal((await maintainer('PUT', path, { enabled: false })).status, 200);
    assert.equal(deployOf((await kubeconfigFor(ids.app, 'production')).config), undefined);
    assert.equal((await maintainer('PUT', `/projects/${ids.app}/clusters/999999`, { enabled: true })).status, 404);
    await removeAll();
  });

  test('a disabled cluster never applies', async () => {
    await addCluster(`/projects/${ids.app}`, cluster({ enabled: false }));
    assert.equal(deployOf((await kubeconfigFor(ids.app)).config), undefined);
    await removeAll();
  });
});

describe('KUBEGATE_SECRET_KEY', () => {
  test('when set, tokens are sealed with it and no key file is written', async () => {
    const keyed = await startTestServer({ env: { KUBEGATE_SECRET_KEY: randomBytes(32).toString('base64') } });
    try {
      const project = await ensureProject(keyed, 'k/app');
      await add(`/projects/${project.id}/clusters/user`, cluster(), keyed.api);
      await ensureBranch(keyed, 'k/app', 'main');
      const job = await keyed.api('POST', `/projects/${project.id}/jobs`, { ref: 'main' });
      const text = await (await keyed.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': job.body.token } })).text();
      assert.equal(deployOf(parseYaml(text))?.token, DEPLOY_TOKEN);
      await assert.rejects(stat(join(keyed.dataDir, 'keys', 'secrets.key')));
    } finally {
      await keyed.close();
    }
  });

  test('a malformed key stops the server at start with how to make one', async () => {
    await assert.rejects(startTestServer({ env: { KUBEGATE_SECRET_KEY: 'too-short' } }), /KUBEGATE_SECRET_KEY must be 32 random bytes/);
  });
});
