// Authentication, RBAC and impersonation, driven with the real kubectl.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectl } from './testing/kubectl.js';
import { REQUEST_TIMEOUT, startFixture, type SimFixture } from './testing/fixture.js';

const SA_USER = 'system:serviceaccount:gitlab-agent:gitlab-agent';

describe('kube-apiserver simulator: auth', () => {
  let f: SimFixture;
  let saToken: string;

  before(async () => {
    f = await startFixture();
    saToken = f.sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
  });
  after(() => f.close());

  it('serves /version as v1.32 to kubectl', async () => {
    const r = await f.k(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { serverVersion: { gitVersion: string; minor: string } };
    assert.match(v.serverVersion.gitVersion, /^v1\.32\./);
    assert.equal(v.serverVersion.minor, '32');
  });

  it('rejects an unknown token with 401', async () => {
    const env = await f.envFor('not-a-token');
    const r = await kubectl(env, ['get', 'pods', REQUEST_TIMEOUT]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|must be logged in/);
    assert.equal(f.sim.requests.at(-1)?.code, 401);
  });

  it('whoami shows the admin and the service account identities', async () => {
    const admin = await f.k(['auth', 'whoami', '-o', 'json']);
    assert.equal(admin.code, 0, admin.stderr);
    const adminInfo = (JSON.parse(admin.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    assert.equal(adminInfo.username, 'kubernetes-admin');
    assert.deepEqual(adminInfo.groups, ['system:masters', 'system:authenticated']);

    const sa = await kubectl(await f.envFor(saToken), ['auth', 'whoami', '-o', 'json', REQUEST_TIMEOUT]);
    assert.equal(sa.code, 0, sa.stderr);
    const saInfo = (JSON.parse(sa.stdout) as { status: { userInfo: { username: string; groups: string[]; uid: string } } }).status.userInfo;
    assert.equal(saInfo.username, SA_USER);
    assert.deepEqual(saInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:gitlab-agent', 'system:authenticated']);
    assert.ok(saInfo.uid, 'the SA token carries the ServiceAccount uid');
  });

  it('denies by default and allows after a ClusterRoleBinding to view', async () => {
    const env = await f.envFor(saToken);
    const denied = await kubectl(env, ['get', 'pods', '-n', 'default', REQUEST_TIMEOUT]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`pods is forbidden: User "${SA_USER}" cannot list resource "pods" in API group "" in the namespace "default"`));

    const bound = await f.k(['create', 'clusterrolebinding', 'agent-view', '--clusterrole=view', '--serviceaccount=gitlab-agent:gitlab-agent']);
    assert.equal(bound.code, 0, bound.stderr);
    const allowed = await kubectl(env, ['get', 'pods', '-n', 'default', REQUEST_TIMEOUT]);
    assert.equal(allowed.code, 0, allowed.stderr);

    const create = await kubectl(env, ['create', 'configmap', 'x', '-n', 'default', '--from-literal=a=b', REQUEST_TIMEOUT]);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, new RegExp(`configmaps is forbidden: User "${SA_USER}" cannot create resource "configmaps" in API group "" in the namespace "default"`));
    const secrets = await kubectl(env, ['get', 'secrets', '-n', 'default', REQUEST_TIMEOUT]);
    assert.match(secrets.stderr, /secrets is forbidden/, 'view does not include secrets');
  });

  it('evaluates Roles with resourceNames and subresources', async () => {
    await f.k(['create', 'namespace', 'team']);
    const role = await f.k(['create', 'role', 'one-cm', '-n', 'team', '--verb=get', '--resource=configmaps', '--resource-name=allowed']);
    assert.equal(role.code, 0, role.stderr);
    await f.k(['create', 'rolebinding', 'one-cm', '-n', 'team', '--role=one-cm', '--user=alice']);
    await f.k(['create', 'configmap', 'allowed', '-n', 'team', '--from-literal=a=b']);
    await f.k(['create', 'configmap', 'other', '-n', 'team', '--from-literal=a=b']);
    f.sim.addToken('alice-token', { username: 'alice', groups: ['devs'] });
    const alice = await f.envFor('alice-token');
    assert.equal((await kubectl(alice, ['get', 'cm', 'allowed', '-n', 'team', REQUEST_TIMEOUT])).code, 0);
    const other = await kubectl(alice, ['get', 'cm', 'other', '-n', 'team', REQUEST_TIMEOUT]);
    assert.match(other.stderr, /configmaps "other" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "team"/);
    assert.equal((await kubectl(alice, ['auth', 'can-i', 'get', 'pods/log', '-n', 'team', REQUEST_TIMEOUT])).stdout.trim(), 'no');
  });

  it('auth can-i answers for self and with --as', async () => {
    const yes = await f.k(['auth', 'can-i', 'delete', 'nodes']);
    assert.equal(yes.stdout.trim(), 'yes');
    assert.equal(yes.code, 0);
    const asSa = await f.k(['auth', 'can-i', 'list', 'pods', '-n', 'default', `--as=${SA_USER}`]);
    assert.equal(asSa.stdout.trim(), 'yes', asSa.stderr);
    const asSaNo = await f.k(['auth', 'can-i', 'create', 'configmaps', '-n', 'default', `--as=${SA_USER}`]);
    assert.equal(asSaNo.stdout.trim(), 'no');
    assert.equal(asSaNo.code, 1);
    const nobody = await f.k(['auth', 'can-i', 'get', 'pods', '--as=nobody']);
    assert.equal(nobody.stdout.trim(), 'no');
  });

  it('refuses impersonation without the impersonate verb, like the real server', async () => {
    const env = await f.envFor(saToken, { impersonate: { user: 'jane' } });
    // kubectl's discovery prints 403s as "Forbidden: unknown" (as with a real server); --raw shows the Status message.
    const r = await kubectl(env, ['get', '--raw', '/api/v1/namespaces/default/pods', REQUEST_TIMEOUT]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`users "jane" is forbidden: User "${SA_USER}" cannot impersonate resource "users" in API group "" at the cluster scope`));
  });

  it('impersonates user, uid, groups and extra when RBAC allows it', async () => {
    f.sim.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'impersonator' },
      rules: [
        { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['uids', 'userextras/agent.gitlab.com/id'], verbs: ['impersonate'] },
      ],
    });
    f.sim.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'agent-impersonator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonator' },
      subjects: [{ kind: 'ServiceAccount', name: 'gitlab-agent', namespace: 'gitlab-agent' }],
    });
    const env = await f.envFor(saToken, {
      impersonate: { user: 'gitlab:ci_job:42', uid: 'u-42', groups: ['gitlab:ci_job', 'gitlab:project:7'], extra: { 'agent.gitlab.com/id': ['7'] } },
    });
    const r = await kubectl(env, ['auth', 'whoami', '-o', 'json', REQUEST_TIMEOUT]);
    assert.equal(r.code, 0, r.stderr);
    const info = (JSON.parse(r.stdout) as { status: { userInfo: Record<string, unknown> } }).status.userInfo;
    assert.deepEqual(info, {
      username: 'gitlab:ci_job:42',
      uid: 'u-42',
      groups: ['gitlab:ci_job', 'gitlab:project:7', 'system:authenticated'],
      extra: { 'agent.gitlab.com/id': ['7'] },
    });
    const record = f.sim.requests.filter((q) => q.resource === 'selfsubjectreviews').at(-1)!;
    assert.equal(record.impersonated, true);
    assert.equal(record.authenticatedUser.username, SA_USER);
    assert.equal(record.user.username, 'gitlab:ci_job:42');

    // An extra key the role does not name is refused.
    const other = await f.envFor(saToken, { impersonate: { user: 'x', extra: { 'other/key': ['v'] } } });
    const refused = await kubectl(other, ['get', '--raw', '/api/v1/namespaces/default/pods', REQUEST_TIMEOUT]);
    assert.match(refused.stderr, /userextras.authentication.k8s.io "v" is forbidden: User ".*" cannot impersonate resource "userextras\/other\/key" in API group "authentication.k8s.io" at the cluster scope/);
  });
});
