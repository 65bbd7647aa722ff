/**
 * `kubegate agent register|list|delete|token …` as an administrator runs them: a real
 * process configured by KUBEGATE_URL, KUBEGATE_TOKEN and KUBEGATE_CA_CERT_FILE against a
 * server with a private CA. `register` prints the install command; run as printed (the
 * real helm against the Kubernetes API simulator), it ends in a connected agent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/agent.js';
import { ensureProject } from '../helpers/ci.js';
import { createHelmHome, findHelm, type HelmHome } from '../helpers/helm.js';
import { runDeploymentPod, type PodProcess } from '../helpers/pod.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubeconfigYaml } from '../kube-apiserver/testing/kubectl.js';
import { VERSION } from '../../src/lib/version.js';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
const helm = await findHelm(3);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { ...options, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kubegate agent administration', { skip: helm.missing }, () => {
  let sim: KubeApiSimulator;
  let server: TestServer;
  let h: HelmHome;
  let dir: string;
  const pods: PodProcess[] = [];

  /** `kubegate <args>` with the administrator's environment (plus `env`), in the work dir. */
  const kubegate = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, KUBEGATE_URL: server.url, KUBEGATE_TOKEN: server.rootToken, KUBEGATE_CA_CERT_FILE: server.caCertFile, ...env },
    });

  const connections = async (agentName: string) => {
    const list = await server.api('GET', '/projects/acme%2Fclusters/cluster_agents');
    return (list.body as Array<{ name: string; connections: unknown[] }>).find((a) => a.name === agentName)?.connections ?? [];
  };

  before(async () => {
    sim = await startKubeApiServer({ podLogIntervalMs: 200 });
    server = await startTestServer({ tls: true });
    h = await createHelmHome(helm.path!, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }));
    dir = await mkdtemp(join(tmpdir(), 'kubegate-admin-cli-'));
    await ensureProject(server, 'acme/clusters');
  });

  after(async () => {
    await Promise.all(pods.map((p) => p.terminate()));
    await server?.close();
    await sim?.close();
    await h?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('register prints the install command; run as printed, it ends in a connected agent', async () => {
    const registered = await kubegate(['agent', 'register', 'prod', '--project', 'acme/clusters']);
    assert.equal(registered.code, 0, registered.stderr);
    const caFile = join(dir, 'kubegate-ca.pem');
    assert.match(registered.stderr, /Registered agent "prod" \(id \d+\) in acme\/clusters, with token "initial"/);
    assert.ok(registered.stderr.includes(`Saved the server's CA certificate to ${caFile}`), registered.stderr);
    assert.equal(await readFile(caFile, 'utf8'), server.caCert);
    const command = registered.stdout;
    assert.match(command, /^helm repo add --force-update kubegate https:\/\/127\.0\.0\.1:\d+\/-\/charts --ca-file \S+kubegate-ca\.pem\nhelm upgrade --install prod kubegate\/kubegate-agent \\\n/);
    for (const part of ['--namespace kubegate-agent-prod', '--create-namespace', '--set config.token=kgagent-', `--set config.kasAddress=${server.url.replace(/^https/, 'wss')}/-/kubernetes-agent/`, `--set-file config.kasCaCert=${caFile}`, `--set image.tag=${VERSION.version}`]) {
      assert.ok(command.includes(part), `the command has ${part}:\n${command}`);
    }

    // Exactly as printed, by a shell, where helm and the cluster's kubeconfig are set up.
    const installed = await run('sh', ['-e', '-c', command], { cwd: dir, env: h.env });
    assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
    assert.match(installed.stdout, /STATUS: deployed/);
    const pod = await runDeploymentPod(sim, 'kubegate-agent-prod', 'prod-kubegate-agent');
    pods.push(pod);
    const [conn] = await eventually(async () => {
      const list = (await connections('prod')) as Array<{ pod_name: string; pod_namespace: string }>;
      return list.length === 1 ? list : undefined;
    }, 30_000, 'the installed agent connected');
    assert.equal(conn!.pod_name, pod.podName);
    assert.equal(conn!.pod_namespace, 'kubegate-agent-prod');
  });

  it('list shows the agents for people and as JSON', async () => {
    const text = await kubegate(['agent', 'list', '--project', 'acme/clusters']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID\s+NAME\s+CONNECTED PODS\s+VERSIONS\s+CONFIGURATION\s+CREATED\n/);
    assert.match(text.stdout, new RegExp(`\\n\\d+\\s+prod\\s+1\\s+${VERSION.version.replace(/\./g, '\\.')}\\s+ok\\s+\\d{4}-`));
    const json = await kubegate(['agent', 'list', '--project', 'acme/clusters', '--output', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const agents = JSON.parse(json.stdout) as Array<{ name: string; connections: unknown[] }>;
    assert.deepEqual(agents.map((a) => [a.name, a.connections.length]), [['prod', 1]]);
  });

  it('token create, list and revoke; revoking the installed token disconnects the pod', async () => {
    const created = await kubegate(['agent', 'token', 'create', 'prod', '--project', 'acme/clusters', '--name', 'rotation']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^kgagent-[A-Za-z0-9]{32}\n$/);
    assert.match(created.stderr, /Created token "rotation" \(id \d+\) for agent prod; it is shown only this once/);
    assert.ok(created.stderr.includes(`--set config.token=${created.stdout.trim()}`), 'the note shows the install command with the new token');

    const third = await kubegate(['agent', 'token', 'create', 'prod', '--project', 'acme/clusters']);
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /already has 2 active tokens .*revoke one before creating another/);

    const listed = await kubegate(['agent', 'token', 'list', 'prod', '--project', 'acme/clusters', '-o', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const tokens = JSON.parse(listed.stdout) as Array<{ id: number; name: string; status: string; token?: string }>;
    assert.deepEqual(tokens.map((t) => [t.name, t.status]), [['initial', 'active'], ['rotation', 'active']]);
    assert.ok(tokens.every((t) => t.token === undefined), 'a listing never shows tokens');
    const table = await kubegate(['agent', 'token', 'list', 'prod', '--project', 'acme/clusters']);
    assert.match(table.stdout, /^ID\s+NAME\s+STATUS\s+CREATED\s+LAST USED\s+DESCRIPTION\n/);
    assert.match(table.stdout, /\n\d+\s+initial\s+active\s+\d{4}-/);

    const unknown = await kubegate(['agent', 'token', 'revoke', 'prod', 'nope', '--project', 'acme/clusters']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /agent prod has no token named "nope"; kubegate agent token list prod --project acme\/clusters shows them/);
    const unnamed = await kubegate(['agent', 'token', 'revoke', 'prod', '--project', 'acme/clusters']);
    assert.notEqual(unnamed.code, 0);
    assert.match(unnamed.stderr, /name the token to revoke, by id or name: kubegate agent token revoke prod <token>/);
    const byId = await kubegate(['agent', 'token', 'revoke', 'prod', '--token-id', String(tokens[1]!.id), '--project', 'acme/clusters', '-o', 'json']);
    assert.equal(byId.code, 0, byId.stderr);
    assert.deepEqual([JSON.parse(byId.stdout).revoked.name, JSON.parse(byId.stdout).revoked.status], ['rotation', 'revoked']);
    const revoked = await kubegate(['agent', 'token', 'revoke', 'prod', 'initial', '--project', 'acme/clusters']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /Revoked token "initial" \(id \d+\) of agent prod/);
    await eventually(async () => ((await connections('prod')).length === 0 ? true : undefined), 15_000, 'the pod using the revoked token disconnected');
    await pods[0]!.waitForLog((l) => /revoked/.test(String(l.msg ?? '') + String(l.reason ?? '') + String(l.err ?? '')), 15_000);
  });

  it('delete removes the agent', async () => {
    const deleted = await kubegate(['agent', 'delete', 'prod', '--project', 'acme/clusters', '-o', 'json']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(JSON.parse(deleted.stdout).deleted.name, 'prod');
    const list = await kubegate(['agent', 'list', '--project', 'acme/clusters']);
    assert.match(list.stdout, /Project acme\/clusters has no agents/);
  });

  it('register --output json gives the agent, the token and the install command', async () => {
    const r = await kubegate(['agent', 'register', 'staging', '--project', 'acme/clusters', '-o', 'json', '--install-ca-file', 'certs-ca.pem']);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body.agent.name, 'staging');
    assert.match(body.token.token, /^kgagent-/);
    assert.equal(body.install.helm_release_name, 'staging');
    assert.equal(body.install.namespace, 'kubegate-agent-staging');
    assert.equal(body.install.ca_cert, server.caCert);
    assert.equal(body.ca_cert_file_written, join(dir, 'certs-ca.pem'));
    assert.ok(body.install.command.includes(`--set config.token=${body.token.token}`));
    assert.equal(r.stderr, '', 'JSON mode writes no notes');
  });

  it('refuses with a message that names the problem and the way out', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['agent', 'register', 'Bad_Name', '--project', 'acme/clusters'], {}, /name "Bad_Name" must be lower case: use "bad_name" \(400\)/],
      [['agent', 'register', 'staging', '--project', 'acme/clusters'], {}, /already registered in project acme\/clusters; choose another name/],
      [['agent', 'list', '--project', 'acme/nope'], {}, /project "acme\/nope" was not found, or your token cannot see it/],
      [['agent', 'delete', 'ghost', '--project', 'acme/clusters'], {}, /project acme\/clusters has no agent named "ghost" \(its agents: staging\)/],
      [['agent', 'list', '--project', 'acme/clusters'], { KUBEGATE_URL: '' }, /KUBEGATE_URL is not set/],
      [['agent', 'list', '--project', 'acme/clusters'], { KUBEGATE_TOKEN: '' }, /KUBEGATE_TOKEN is not set/],
      [['agent', 'list', '--project', 'acme/clusters'], { KUBEGATE_TOKEN: 'kgpat-wrong-token-000000000000' }, /the server refused the token \(401/],
      [['agent', 'list', '--project', 'acme/clusters'], { KUBEGATE_CA_CERT_FILE: '' }, /TLS certificate is not trusted .*--ca-cert-file or KUBEGATE_CA_CERT_FILE/],
      [['agent', 'list'], {}, /required option '--project <path>' not specified/],
      // Checked before the agent is registered: a typo never leaves an agent without its token.
      [['agent', 'register', 'typo', '--project', 'acme/clusters', '--helm-release-namespace', 'Agents'], {}, /--helm-release-namespace "Agents" is not a namespace name/],
    ];
    for (const [args, env, expected] of cases) {
      const r = await kubegate(args, env);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, expected, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing on stdout when refused');
    }
    const agents = await server.api('GET', '/projects/acme%2Fclusters/cluster_agents');
    assert.deepEqual((agents.body as Array<{ name: string }>).map((a) => a.name), ['staging']);
  });

  it('every administration command has --help', async () => {
    for (const command of [['register'], ['list'], ['delete'], ['token', 'create'], ['token', 'list'], ['token', 'revoke']]) {
      const r = await kubegate(['agent', ...command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      for (const flag of ['--project', '--url', '--token', '--ca-cert-file', '--output']) assert.ok(r.stdout.includes(flag), `${command.join(' ')} --help lists ${flag}`);
    }
  });
});
