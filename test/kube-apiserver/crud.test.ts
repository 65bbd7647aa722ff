// CRUD, selectors, errors, apply (client-side and server-side), custom
// resources and rollouts, driven with the real kubectl.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl } from './testing/kubectl.js';
import { startFixture, type SimFixture } from './testing/fixture.js';

describe('kube-apiserver simulator: resources', () => {
  let f: SimFixture;
  let dir: string;

  before(async () => {
    f = await startFixture();
    dir = await mkdtemp(join(tmpdir(), 'sim-crud-'));
  });
  after(() => f.close());

  it('serves aggregated discovery, so kubectl needs no per-group-version requests', async () => {
    const env = await f.envFor(f.sim.adminToken);
    f.sim.clearRequests();
    const r = await kubectl(env, ['get', 'deployments.apps', '-n', 'kube-system', '--request-timeout=15s']);
    assert.equal(r.code, 0, r.stderr);
    const paths = f.sim.requests.map((q) => q.path);
    assert.deepEqual(paths.filter((p) => p === '/api' || p === '/apis'), ['/api', '/apis']);
    assert.ok(!paths.includes('/apis/apps/v1'), `unexpected legacy discovery: ${paths.join(' ')}`);
    const legacy = await f.k(['get', '--raw', '/apis/apps/v1']);
    const list = JSON.parse(legacy.stdout) as { resources: { name: string; kind: string }[] };
    assert.ok(list.resources.some((res) => res.name === 'deployments/scale'));
  });

  it('creates, gets, lists by label and deletes', async () => {
    assert.equal((await f.k(['create', 'configmap', 'one', '--from-literal=k=v'])).code, 0);
    assert.equal((await f.k(['create', 'configmap', 'two', '--from-literal=k=w'])).code, 0);
    assert.equal((await f.k(['label', 'configmap', 'one', 'tier=gold'])).code, 0);
    assert.equal((await f.k(['annotate', 'configmap', 'one', 'note=hello'])).code, 0);

    const got = await f.k(['get', 'configmap', 'one', '-o', 'json']);
    const cm = JSON.parse(got.stdout) as { data: Record<string, string>; metadata: { labels: Record<string, string>; annotations: Record<string, string>; resourceVersion: string; uid: string } };
    assert.deepEqual(cm.data, { k: 'v' });
    assert.equal(cm.metadata.labels.tier, 'gold');
    assert.equal(cm.metadata.annotations.note, 'hello');
    assert.match(cm.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(f.sim.requests.at(-1)?.httpVersion, '2.0', 'kubectl negotiates HTTP/2 as with a real server');

    const byLabel = await f.k(['get', 'configmaps', '-l', 'tier=gold', '-o', 'name']);
    assert.equal(byLabel.stdout.trim(), 'configmap/one');
    const notGold = await f.k(['get', 'configmaps', '-l', 'tier!=gold', '-o', 'name']);
    assert.equal(notGold.stdout.trim(), 'configmap/two');
    const byField = await f.k(['get', 'configmaps', '--field-selector', 'metadata.name=two', '-o', 'name']);
    assert.equal(byField.stdout.trim(), 'configmap/two');

    const table = await f.k(['get', 'configmaps']);
    assert.match(table.stdout, /^NAME\s+DATA\s+AGE\n/);
    assert.match(table.stdout, /\none\s+1\s+\d+s\n/);

    assert.equal((await f.k(['delete', 'configmap', 'one'])).code, 0);
    const gone = await f.k(['get', 'configmap', 'one']);
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "one" not found/);
  });

  it('returns AlreadyExists and Invalid errors', async () => {
    await f.k(['create', 'namespace', 'dup']);
    const again = await f.k(['create', 'namespace', 'dup']);
    assert.match(again.stderr, /Error from server \(AlreadyExists\): namespaces "dup" already exists/);
    const bad = await f.k(['create', 'configmap', 'Bad_Name']);
    assert.match(bad.stderr, /ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const missingNs = await f.k(['create', 'configmap', 'x', '-n', 'nope']);
    assert.match(missingNs.stderr, /namespaces "nope" not found/);
  });

  it('applies client-side, then re-applies a change, then server-side', async () => {
    const file = join(dir, 'app.yaml');
    const manifest = (value: string, replicas: number): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: default
data:
  value: "${value}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: main
        image: nginx:1.27
        env:
        - {name: A, value: "1"}
`;
    await writeFile(file, manifest('one', 2));
    const first = await f.k(['apply', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /configmap\/app-config created/);
    assert.match(first.stdout, /deployment.apps\/app created/);

    await writeFile(file, manifest('two', 1));
    const second = await f.k(['apply', '-f', file]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /configmap\/app-config configured/);
    const cm = f.sim.get('v1', 'ConfigMap', 'default', 'app-config')!;
    assert.equal((cm.data as Record<string, string>).value, 'two');
    assert.ok(cm.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    const dep = f.sim.get('apps/v1', 'Deployment', 'default', 'app')!;
    assert.equal((dep.spec as { replicas: number }).replicas, 1);
    assert.equal(dep.metadata.generation, 2, 'a spec change bumps generation');

    await writeFile(file, manifest('three', 1));
    const ssa = await f.k(['apply', '--server-side', '-f', file]);
    assert.equal(ssa.code, 0, ssa.stderr);
    assert.match(ssa.stdout, /configmap\/app-config serverside-applied/);
    assert.equal((f.sim.get('v1', 'ConfigMap', 'default', 'app-config')!.data as Record<string, string>).value, 'three');

    const rollout = await f.k(['rollout', 'status', 'deployment/app', '--timeout=20s']);
    assert.equal(rollout.code, 0, rollout.stderr);
    assert.match(rollout.stdout, /deployment "app" successfully rolled out/);
    const pods = await f.k(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[*].status.phase}']);
    assert.equal(pods.stdout, 'Running');
  });

  it('serves Flux custom resources in v1 and v1beta2 from one storage', async () => {
    const file = join(dir, 'flux.yaml');
    await writeFile(file, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo, namespace: default}
spec: {url: "https://gitlab.example.com/group/project.git", interval: 1m, ref: {branch: main}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Receiver
metadata: {name: hook, namespace: default}
spec: {type: generic-hmac, secretRef: {name: hook-token}, resources: [{kind: GitRepository, name: repo}]}
`);
    const applied = await f.k(['apply', '-f', file]);
    assert.equal(applied.code, 0, applied.stderr);
    const repo = await f.k(['get', 'gitrepositories.source.toolkit.fluxcd.io', 'repo', '-o', 'jsonpath={.spec.url}']);
    assert.equal(repo.stdout, 'https://gitlab.example.com/group/project.git');
    const v1 = await f.k(['get', 'receivers.v1.notification.toolkit.fluxcd.io', 'hook', '-o', 'jsonpath={.apiVersion} {.spec.type}']);
    assert.equal(v1.stdout, 'notification.toolkit.fluxcd.io/v1 generic-hmac');
    const ssa = await f.k(['apply', '--server-side', '--field-manager=kubegate', '-f', file]);
    assert.equal(ssa.code, 0, ssa.stderr);
  });

  it('registers a new CustomResourceDefinition for discovery and CRUD', async () => {
    const file = join(dir, 'crd.yaml');
    await writeFile(file, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`);
    assert.equal((await f.k(['apply', '-f', file])).code, 0);
    await writeFile(join(dir, 'w.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 3}\n');
    const created = await f.k(['apply', '-f', join(dir, 'w.yaml')]);
    assert.equal(created.code, 0, created.stderr);
    const got = await f.k(['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}']);
    assert.equal(got.stdout, '3');
  });

  it('cascades deletion from a deployment to its replica sets and pods', async () => {
    assert.equal((await f.k(['create', 'deployment', 'cascade', '--image=nginx', '--replicas=2'])).code, 0);
    assert.equal((await f.k(['rollout', 'status', 'deployment/cascade', '--timeout=20s'])).code, 0);
    assert.equal(f.sim.list('v1', 'Pod', 'default').filter((p) => p.metadata.name!.startsWith('cascade-')).length, 2);
    const del = await f.k(['delete', 'deployment', 'cascade']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(f.sim.list('apps/v1', 'ReplicaSet', 'default').filter((r) => r.metadata.name!.startsWith('cascade-')).length, 0);
    assert.equal(f.sim.list('v1', 'Pod', 'default').filter((p) => p.metadata.name!.startsWith('cascade-')).length, 0);
  });

  it('deletes a namespace with its contents', async () => {
    await f.k(['create', 'namespace', 'doomed']);
    await f.k(['create', 'configmap', 'c', '-n', 'doomed']);
    const del = await f.k(['delete', 'namespace', 'doomed']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(f.sim.get('v1', 'Namespace', undefined, 'doomed'), undefined);
    assert.equal(f.sim.list('v1', 'ConfigMap', 'doomed').length, 0);
  });
});
