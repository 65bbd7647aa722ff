/**
 * docs/install.md, executed: every `sh` block of the page runs in order, as written, in one
 * working directory with the administrator's environment (KUBEGATE_URL, KUBEGATE_TOKEN,
 * KUBEGATE_CA_CERT_FILE; the real helm and kubectl on PATH, KUBECONFIG to the Kubernetes
 * API simulator) against a server with a private CA. Between blocks the test plays the
 * cluster's part — it runs the installed Deployments' containers as pods would
 * (test/helpers/pod.ts) — and checks that each step did what the page says.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/agent.js';
import { createJob, ensureProject } from '../helpers/ci.js';
import { createHelmHome, findHelm, REPO_ROOT, type HelmHome } from '../helpers/helm.js';
import { runDeploymentPod, type PodProcess } from '../helpers/pod.js';
import { pushFiles } from '../helpers/git.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl, kubeconfigYaml } from '../kube-apiserver/testing/kubectl.js';
import { VERSION } from '../../src/lib/version.js';

const MAIN = resolve(REPO_ROOT, 'src/cli/main.ts');
const PAGE = await readFile(join(REPO_ROOT, 'docs/install.md'), 'utf8');
const helm = await findHelm(3);

interface Block {
  section: string;
  language: string;
  code: string;
}

/** The fenced blocks of the page, each with the heading it is under. */
function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let section = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{2,3} (.+)$/.exec(lines[i]!);
    if (heading) section = heading[1]!;
    const fence = /^```(\w*)$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    out.push({ section, language: fence[1]!, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

function sh(code: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('sh', ['-e', '-c', code], { ...options, timeout: 180_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const ALL = blocks(PAGE);
const SH = ALL.filter((b) => b.language === 'sh');

describe('docs/install.md, every command run', { skip: helm.missing }, () => {
  let sim: KubeApiSimulator;
  let server: TestServer;
  let h: HelmHome;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const pods: Record<string, PodProcess[]> = {};
  let next = 0;
  let projectId: number;

  /** Runs the next `sh` block of the page, which must be under `section` and start with `first`. */
  async function runNext(section: string, first: string) {
    const block = SH[next++];
    assert.ok(block, `docs/install.md has no more sh blocks; expected "${first}" under "${section}"`);
    assert.equal(block.section, section);
    assert.ok(block.code.startsWith(first), `the block under "${section}" starts with "${first}":\n${block.code}`);
    const r = await sh(block.code, { cwd: work, env });
    assert.equal(r.code, 0, `${block.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r;
  }

  async function startPod(release: string, namespace: string) {
    const pod = await runDeploymentPod(sim, namespace, `${release}-kubegate-agent`);
    (pods[release] ??= []).push(pod);
    return pod;
  }

  async function agentConnections(name: string): Promise<Array<{ pod_name: string; pod_namespace: string }>> {
    const r = await server.api('GET', `/projects/${projectId}/cluster_agents`);
    assert.equal(r.status, 200);
    return (r.body as Array<{ name: string; connections: Array<{ pod_name: string; pod_namespace: string }> }>).find((a) => a.name === name)?.connections ?? [];
  }

  async function connectedPods(name: string, count: number) {
    return eventually(async () => {
      const list = await agentConnections(name);
      return list.length === count ? list.map((c) => c.pod_name).sort() : undefined;
    }, 30_000, `${count} pod(s) of agent ${name} connected`);
  }

  before(async () => {
    sim = await startKubeApiServer({ podLogIntervalMs: 200 });
    server = await startTestServer({ tls: true });
    projectId = (await ensureProject(server, 'platform/clusters')).id;
    h = await createHelmHome(helm.path!, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }));
    work = await mkdtemp(join(tmpdir(), 'kubegate-install-docs-'));
    // `kubegate` on PATH, as after installing the package.
    const bin = join(work, '.bin');
    await sh(`mkdir -p ${bin}`, { cwd: work, env: process.env });
    await writeFile(join(bin, 'kubegate'), `#!/bin/sh\nexec "${process.execPath}" --import "${import.meta.resolve('tsx')}" "${MAIN}" "$@"\n`);
    await chmod(join(bin, 'kubegate'), 0o755);
    env = { ...h.env, PATH: `${bin}:${h.env.PATH}`, KUBEGATE_URL: server.url, KUBEGATE_TOKEN: server.rootToken, KUBEGATE_CA_CERT_FILE: server.caCertFile };
  });

  after(async () => {
    await Promise.all(Object.values(pods).flat().map((p) => p.terminate()));
    await server?.close();
    await sim?.close();
    await h?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('Register and install: the printed command installs an agent that connects', async () => {
    await runNext('Register and install', 'kubegate agent register prod --project platform/clusters > install-prod.sh');
    assert.match(await readFile(join(work, 'install-prod.sh'), 'utf8'), /^helm repo add --force-update kubegate /);
    assert.equal(await readFile(join(work, 'kubegate-ca.pem'), 'utf8'), server.caCert);
    const pod = await startPod('prod', 'kubegate-agent-prod');
    assert.deepEqual(await connectedPods('prod', 1), [pod.podName]);
    const list = await runNext('Register and install', 'kubegate agent list --project platform/clusters');
    assert.match(list.stdout, /\n\d+\s+prod\s+1\s+/);
  });

  it('Production: the narrower role is bound, and a ci_job identity gets exactly what the RoleBinding grants', async () => {
    await runNext('Production: bind a narrower role than cluster-admin', "kubectl apply -f - <<'EOF'");
    const binding = sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'kubegate-agent-prod.prod-kubegate-agent') as any;
    assert.equal(binding.roleRef.name, 'kubegate-agent-impersonate');
    await runNext('Production: bind a narrower role than cluster-admin', 'kubectl create namespace apps');

    const config = ALL.find((b) => b.section === 'Production: bind a narrower role than cluster-admin' && b.language === 'yaml')!.code;
    const commit = await pushFiles(server, 'platform/clusters', { '.gitlab/agents/prod/config.yaml': `${config}\n` });
    const agentId = (await server.api('GET', `/projects/${projectId}/cluster_agents`)).body.find((a: { name: string }) => a.name === 'prod').id;
    await eventually(async () => {
      const r = await server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`);
      return r.body.configuration.commit === commit && r.body.configuration.errors.length === 0 ? true : undefined;
    }, 10_000, 'the configuration in force');

    const job = await createJob(server, 'platform/clusters');
    try {
      const context = ['--context', 'platform/clusters:prod'];
      const whoami = await kubectl(job.kenv, [...context, 'auth', 'whoami', '-o', 'json']);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, `gitlab:ci_job:${job.id}`);
      const create = await kubectl(job.kenv, [...context, 'create', 'configmap', 'deployed-by-ci', '-n', 'apps', '--from-literal=ok=yes']);
      assert.equal(create.code, 0, create.stderr);
      const elsewhere = await kubectl(job.kenv, [...context, 'get', 'pods', '-n', 'kube-system']);
      assert.notEqual(elsewhere.code, 0);
      assert.match(elsewhere.stderr, /forbidden/i);
    } finally {
      await job.kenv.cleanup();
    }
  });

  it('Upgrade the agent: values given back with -f, the image pinned to the chart\'s version', async () => {
    await runNext('Upgrade the agent', 'helm repo update kubegate');
    const values = await h.helm(['get', 'values', 'prod', '--namespace', 'kubegate-agent-prod', '--output', 'json']);
    const v = JSON.parse(values.stdout);
    assert.equal(v.rbac.useExistingRole, 'kubegate-agent-impersonate', 'values of earlier upgrades are kept');
    assert.equal(v.image.tag, VERSION.version);
    assert.match(v.config.token, /^kgagent-/);
    const history = await h.helm(['history', 'prod', '--namespace', 'kubegate-agent-prod', '-o', 'json']);
    assert.deepEqual((JSON.parse(history.stdout) as Array<{ status: string }>).map((r) => r.status), ['superseded', 'superseded', 'deployed']);
  });

  it('Rotate the token: the new token rolls out, revoking the old one disconnects the old pods', async () => {
    await runNext('Rotate the token', 'kubegate agent token create prod');
    const secret = sim.get('v1', 'Secret', 'kubegate-agent-prod', 'prod-kubegate-agent-token') as any;
    const newToken = Buffer.from(secret.data.token, 'base64').toString();
    // The Deployment's pod template changed (the Secret's checksum): new pods replace the old ones.
    const fresh = await startPod('prod', 'kubegate-agent-prod');
    assert.ok(!Object.values(fresh.env).includes(newToken));
    await connectedPods('prod', 2);
    await runNext('Rotate the token', 'kubegate agent token revoke prod initial');
    assert.deepEqual(await connectedPods('prod', 1), [fresh.podName]);
  });

  it('Several agents: another namespace, or the same namespace with another release name', async () => {
    await runNext('Several agents in one cluster', 'kubegate agent register staging --project platform/clusters > install-staging.sh');
    const staging = await startPod('staging', 'kubegate-agent-staging');
    assert.deepEqual(await connectedPods('staging', 1), [staging.podName]);

    await runNext('Several agents in one cluster', 'kubegate agent register qa --project platform/clusters --helm-release-namespace kubegate-agent-prod');
    const qa = await startPod('qa', 'kubegate-agent-prod');
    assert.deepEqual(await connectedPods('qa', 1), [qa.podName]);
    await connectedPods('prod', 1);
    const bindings = sim.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding').map((b) => b.metadata.name).filter((n) => n!.includes('kubegate-agent'));
    assert.deepEqual(bindings.sort(), ['kubegate-agent-prod.prod-kubegate-agent', 'kubegate-agent-prod.qa-kubegate-agent', 'kubegate-agent-staging.staging-kubegate-agent']);
    const releases = await h.helm(['list', '--all-namespaces', '-o', 'json']);
    assert.deepEqual((JSON.parse(releases.stdout) as Array<{ name: string; namespace: string }>).map((r) => `${r.namespace}/${r.name}`).sort(), ['kubegate-agent-prod/prod', 'kubegate-agent-prod/qa', 'kubegate-agent-staging/staging']);
  });

  it('Uninstall: nothing of prod and qa is left, in the cluster or on the server; staging runs on', async () => {
    await runNext('Uninstall', 'helm uninstall qa --namespace kubegate-agent-prod');
    // The Deployments are gone: kubelet stops their pods.
    await Promise.all([...pods.prod!.splice(0), ...pods.qa!.splice(0)].map((p) => p.terminate()));
    assert.equal(sim.get('v1', 'Namespace', undefined, 'kubegate-agent-prod'), undefined);
    const bindings = sim.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding').map((b) => b.metadata.name).filter((n) => n!.includes('kubegate-agent'));
    assert.deepEqual(bindings, ['kubegate-agent-staging.staging-kubegate-agent']);
    const agents = (await server.api('GET', `/projects/${projectId}/cluster_agents`)).body as Array<{ name: string }>;
    assert.deepEqual(agents.map((a) => a.name), ['staging']);
    await connectedPods('staging', 1);
  });

  it('every sh block of the page was run', () => {
    assert.equal(next, SH.length, `unrun blocks: ${SH.slice(next).map((b) => b.code.split('\n')[0]).join(' | ')}`);
  });
});
