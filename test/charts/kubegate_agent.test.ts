/**
 * charts/kubegate-agent rendered by the real helm: `helm lint --strict`, `helm template`
 * for the default values and for each option (document 002's value names), the schema's
 * refusals with Helm's own errors, and names that never collide between releases.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findHelm, helm, HELM_SOURCES, REPO_ROOT, type HelmMajor } from '../helpers/helm.js';

const CHART = join(REPO_ROOT, 'charts/kubegate-agent');
const TOKEN = 'kgagent-0123456789abcdefghijABCDEFGHIJ';
const KAS = 'wss://kubegate.example.com/-/kubernetes-agent/';
const REQUIRED = ['--set', `config.token=${TOKEN}`, '--set', `config.kasAddress=${KAS}`];
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/* The rendered objects are read as plain JSON. */
type Obj = Record<string, any>;

const helm3 = await findHelm(3);

function templater(binary: string) {
  let home: string | undefined;
  return async function template(args: string[], release = 'prod', namespace = 'kubegate-agent-prod'): Promise<{ code: number | null; stderr: string; objects: Obj[] }> {
    home ??= await mkdtemp(join(tmpdir(), 'chart-template-'));
    const r = await helm(binary, home, ['template', release, CHART, '--namespace', namespace, ...args]);
    const objects = r.code === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean) : [];
    return { code: r.code, stderr: r.stderr, objects };
  };
}

const find = (objects: Obj[], kind: string, name?: string) => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (objects: Obj[], kind: string, name?: string) => {
  const found = find(objects, kind, name);
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ''} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found[0]!;
};
const container = (objects: Obj[]) => one(objects, 'Deployment').spec.template.spec.containers[0];
const env = (objects: Obj[]) => Object.fromEntries((container(objects).env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

for (const major of [3, 4] as const satisfies HelmMajor[]) {
  const found = await findHelm(major);
  describe(`charts/kubegate-agent with helm ${HELM_SOURCES[major].version}: lint and schema`, { skip: found.missing }, () => {
    const template = templater(found.path!);

    it('helm lint --strict is clean, with the default values and with the install command\'s', async () => {
      const home = await mkdtemp(join(tmpdir(), 'chart-lint-'));
      for (const args of [[], REQUIRED]) {
        const r = await helm(found.path!, home, ['lint', '--strict', CHART, ...args]);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
        assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
      }
    });

    it('the schema refuses wrong types and unknown top-level keys with Helm\'s own error', async () => {
      const wrongType = await template([...REQUIRED, '--set', 'replicas=two']);
      assert.notEqual(wrongType.code, 0);
      assert.match(wrongType.stderr, /values don't meet the specifications of the schema\(s\)[\s\S]*replicas/);
      const unknown = await template([...REQUIRED, '--set', 'replica=3']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /values don't meet the specifications of the schema\(s\)[\s\S]*replica/);
      const badAddress = await template(['--set', `config.token=${TOKEN}`, '--set', 'config.kasAddress=https://kubegate.example.com']);
      assert.notEqual(badAddress.code, 0);
      assert.match(badAddress.stderr, /kasAddress/);
      const badEnv = await template([...REQUIRED, '--set', 'extraEnv[0].value=x']);
      assert.notEqual(badEnv.code, 0, 'extraEnv items need a name');
    });
  });
}

describe('charts/kubegate-agent rendered', { skip: helm3.missing }, () => {
  let template: ReturnType<typeof templater>;
  before(() => {
    template = templater(helm3.path!);
  });

  it('Chart.yaml carries the package version as version and appVersion (the server serves it at its own version)', () => {
    const chart = readFileSync(join(CHART, 'Chart.yaml'), 'utf8');
    assert.match(chart, new RegExp(`^version: ${PACKAGE_VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(chart, new RegExp(`^appVersion: "${PACKAGE_VERSION.replace(/\./g, '\\.')}"$`, 'm'));
  });

  it('default values: token Secret, ServiceAccount bound to cluster-admin, 2 hardened replicas with probes, a PodDisruptionBudget', async () => {
    const { code, stderr, objects } = await template(REQUIRED);
    assert.equal(code, 0, stderr);
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRoleBinding/kubegate-agent-prod.prod-kubegate-agent',
      'Deployment/prod-kubegate-agent',
      'PodDisruptionBudget/prod-kubegate-agent',
      'Secret/prod-kubegate-agent-token',
      'ServiceAccount/prod-kubegate-agent',
    ]);
    const secret = one(objects, 'Secret');
    assert.equal(Buffer.from(secret.data.token, 'base64').toString(), TOKEN);
    const binding = one(objects, 'ClusterRoleBinding');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'prod-kubegate-agent', namespace: 'kubegate-agent-prod' }]);

    const deployment = one(objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(pod.serviceAccountName, 'prod-kubegate-agent');
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const c = container(objects);
    assert.equal(c.image, `kubegate/kubegate:${PACKAGE_VERSION}`);
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.args, ['agent']);
    assert.deepEqual(c.securityContext, { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/liveness', port: 'observability' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readiness', port: 'observability' });
    assert.deepEqual(c.ports, [{ name: 'observability', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(env(objects), {
      KUBEGATE_KAS_ADDRESS: KAS,
      KUBEGATE_AGENT_TOKEN_FILE: '/etc/kubegate/token/token',
      KUBEGATE_OBSERVABILITY_LISTEN: '0.0.0.0:8080',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    assert.ok(!JSON.stringify(deployment).includes(TOKEN), 'the token never appears in the Deployment');
    assert.deepEqual(pod.volumes.find((v: Obj) => v.name === 'token').secret, { secretName: 'prod-kubegate-agent-token', defaultMode: 0o440, items: [{ key: 'token', path: 'token' }] });
    const pdb = one(objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  it('the token: config.secretName uses your Secret; both or neither given fail with a message', async () => {
    const own = await template(['--set', 'config.secretName=my-agent-token', '--set', `config.kasAddress=${KAS}`]);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(find(own.objects, 'Secret').length, 0);
    assert.equal(one(own.objects, 'Deployment').spec.template.spec.volumes.find((v: Obj) => v.name === 'token').secret.secretName, 'my-agent-token');
    const both = await template([...REQUIRED, '--set', 'config.secretName=my-agent-token']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /config\.token and config\.secretName are both set/);
    const neither = await template(['--set', `config.kasAddress=${KAS}`]);
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /no agent token: set config\.token=/);
    const noAddress = await template(['--set', `config.token=${TOKEN}`]);
    assert.notEqual(noAddress.code, 0);
    assert.match(noAddress.stderr, /config\.kasAddress is required/);
  });

  it('config.kasCaCert becomes a ConfigMap mounted into the pods; anything but PEM is refused', async () => {
    const { code, stderr, objects } = await template([...REQUIRED, '--set-string', `config.kasCaCert=${PEM}`]);
    assert.equal(code, 0, stderr);
    const cm = one(objects, 'ConfigMap', 'prod-kubegate-agent-kas-ca');
    assert.equal(cm.data['ca.crt'].trim(), PEM.trim());
    assert.equal(env(objects).KUBEGATE_KAS_CA_CERT_FILE, '/etc/kubegate/kas-ca/ca.crt');
    assert.deepEqual(container(objects).volumeMounts.find((m: Obj) => m.name === 'kas-ca'), { name: 'kas-ca', mountPath: '/etc/kubegate/kas-ca', readOnly: true });
    const bad = await template([...REQUIRED, '--set', 'config.kasCaCert=not-a-certificate']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /config\.kasCaCert must be a PEM certificate/);
  });

  it('receptive agents: config.receptive.enabled and config.api.jwtPublicKey are rendered (no kasAddress needed)', async () => {
    const { code, stderr, objects } = await template(['--set', `config.token=${TOKEN}`, '--set', 'config.receptive.enabled=true', '--set', 'config.api.jwtPublicKey=MCowBQYDK2VwAyEAkey']);
    assert.equal(code, 0, stderr);
    assert.equal(one(objects, 'ConfigMap', 'prod-kubegate-agent-api').data['jwt-public-key'], 'MCowBQYDK2VwAyEAkey');
    const service = one(objects, 'Service', 'prod-kubegate-agent-api');
    assert.deepEqual(service.spec.ports, [{ name: 'api', port: 8082, targetPort: 'api', protocol: 'TCP' }]);
    const e = env(objects);
    assert.equal(e.KUBEGATE_KAS_ADDRESS, undefined);
    assert.equal(e.KUBEGATE_RECEPTIVE, 'true');
    assert.equal(e.KUBEGATE_API_LISTEN, '0.0.0.0:8082');
    assert.equal(e.KUBEGATE_API_JWT_PUBLIC_KEY_FILE, '/etc/kubegate/api/jwt-public-key');
    const noKey = await template(['--set', `config.token=${TOKEN}`, '--set', 'config.receptive.enabled=true']);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /config\.receptive\.enabled=true needs config\.api\.jwtPublicKey/);
  });

  it('image, pull secrets, replicas, extraEnv (proxies in any case) reach the Deployment', async () => {
    const { code, stderr, objects } = await template([
      ...REQUIRED,
      '--set', 'image.repository=registry.example.com/kubegate', '--set', 'image.tag=1.2.3', '--set', 'image.pullPolicy=Always',
      '--set', 'imagePullSecrets[0].name=regcred', '--set', 'replicas=3',
      '--set', 'extraEnv[0].name=HTTPS_PROXY', '--set', 'extraEnv[0].value=http://proxy:3128',
      '--set', 'extraEnv[1].name=no_proxy', '--set', 'extraEnv[1].value=.cluster.local',
    ]);
    assert.equal(code, 0, stderr);
    const c = container(objects);
    assert.equal(c.image, 'registry.example.com/kubegate:1.2.3');
    assert.equal(c.imagePullPolicy, 'Always');
    const deployment = one(objects, 'Deployment');
    assert.equal(deployment.spec.replicas, 3);
    assert.deepEqual(deployment.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(env(objects).HTTPS_PROXY, 'http://proxy:3128');
    assert.equal(env(objects).no_proxy, '.cluster.local');
  });

  it('ServiceAccount and RBAC options: an existing account, an existing role, no binding', async () => {
    const existingSa = await template([...REQUIRED, '--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=agent-sa']);
    assert.equal(existingSa.code, 0, existingSa.stderr);
    assert.equal(find(existingSa.objects, 'ServiceAccount').length, 0);
    assert.equal(one(existingSa.objects, 'Deployment').spec.template.spec.serviceAccountName, 'agent-sa');
    assert.equal(one(existingSa.objects, 'ClusterRoleBinding').subjects[0].name, 'agent-sa');
    const noName = await template([...REQUIRED, '--set', 'serviceAccount.create=false']);
    assert.notEqual(noName.code, 0);
    assert.match(noName.stderr, /serviceAccount\.name is required when serviceAccount\.create=false/);
    const named = await template([...REQUIRED, '--set', 'serviceAccount.name=custom', '--set', 'serviceAccount.annotations.team=platform']);
    assert.deepEqual(one(named.objects, 'ServiceAccount', 'custom').metadata.annotations, { team: 'platform' });

    const role = await template([...REQUIRED, '--set', 'rbac.useExistingRole=kubegate-ci']);
    assert.equal(one(role.objects, 'ClusterRoleBinding').roleRef.name, 'kubegate-ci');
    const none = await template([...REQUIRED, '--set', 'rbac.create=false']);
    assert.equal(find(none.objects, 'ClusterRoleBinding').length, 0);
  });

  it('scheduling, metadata and resources options land on the pod', async () => {
    const { code, stderr, objects } = await template([
      ...REQUIRED,
      '--set', 'nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'tolerations[0].key=dedicated', '--set', 'tolerations[0].operator=Exists',
      '--set', 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=zone',
      '--set', 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists',
      '--set-string', 'podAnnotations.prometheus\\.io/scrape=true',
      '--set', 'podLabels.team=platform', '--set-string', 'additionalLabels.cost-center=42',
      '--set', 'priorityClassName=system-cluster-critical',
      '--set', 'hostAliases[0].ip=10.0.0.1', '--set', 'hostAliases[0].hostnames[0]=kubegate.internal',
      '--set', 'resources.limits.cpu=500m', '--set', 'terminationGracePeriodSeconds=45',
    ]);
    assert.equal(code, 0, stderr);
    const pod = one(objects, 'Deployment').spec.template;
    assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(pod.spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.equal(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key, 'zone');
    assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.match(pod.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/);
    assert.equal(pod.metadata.labels.team, 'platform');
    assert.equal(pod.spec.priorityClassName, 'system-cluster-critical');
    assert.deepEqual(pod.spec.hostAliases, [{ ip: '10.0.0.1', hostnames: ['kubegate.internal'] }]);
    assert.equal(pod.spec.terminationGracePeriodSeconds, 45);
    assert.deepEqual(container(objects).resources, { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
    for (const o of objects) assert.equal(o.metadata.labels['cost-center'], '42', `${o.kind} has the additional labels`);
  });

  it('the PodDisruptionBudget and the observability endpoint can be turned off', async () => {
    const { objects } = await template([...REQUIRED, '--set', 'podDisruptionBudget.enabled=false', '--set', 'config.observability.enabled=false']);
    assert.equal(find(objects, 'PodDisruptionBudget').length, 0);
    const c = container(objects);
    assert.equal(c.livenessProbe, undefined);
    assert.equal(c.readinessProbe, undefined);
    assert.equal(env(objects).KUBEGATE_OBSERVABILITY_LISTEN, undefined);
  });

  it('two releases in one namespace, or one in each of two namespaces, share no object name', async () => {
    const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const a = (await template(REQUIRED, 'prod', 'agents')).objects.map(key);
    const b = (await template(REQUIRED, 'second-agent', 'agents')).objects.map(key);
    const c = (await template(REQUIRED, 'prod', 'other')).objects.map(key);
    assert.equal(a.length, 5);
    assert.deepEqual(a.filter((k) => b.includes(k) || c.includes(k)), []);
    assert.deepEqual(b.filter((k) => c.includes(k)), []);
    // Two releases in one namespace also select only their own pods.
    const selector = async (release: string) => one((await template(REQUIRED, release, 'agents')).objects, 'Deployment').spec.selector.matchLabels;
    assert.notDeepEqual(await selector('prod'), await selector('second-agent'));
  });
});
