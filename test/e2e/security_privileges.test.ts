/**
 * Issue 8, privilege paths 1–3, attacked as a Developer would, with the real git, the
 * real kubectl, a real agent process and the Kubernetes API simulator:
 *
 * 1. a Developer of a configuration project pushes an agent configuration that
 *    impersonates `system:masters` — the default branch is protected on creation, so the
 *    push is refused and no job acts as `system:masters`; a Maintainer's such file is kept
 *    with a warning;
 * 2. a Developer creates jobs for refs and environments that `protected_branches_only` and
 *    `environments` rely on — refused (the ref must exist; protected refs and protected
 *    environments need a user allowed to push, merge or deploy);
 * 3. a job asks the proxy for the agent's own endpoint (`/-/kubegate-tunnel/info`), with
 *    every path trick and header at hand — nothing outside the Kubernetes API is forwarded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, ensureProject, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { authUrl, ensureBranch, gitEnv, pushFiles } from '../helpers/git.js';
import { pushAgentConfig } from './ci_proxy_support.js';
import type { ApiClient } from '../helpers/server.js';
import { eventually, startAgent } from '../helpers/agent.js';

const run = promisify(execFile);

const MASTERS_CONFIG = [
  'ci_access:',
  '  projects:',
  '    - id: priv/config',
  '      access_as:',
  '        impersonate:',
  '          username: attacker',
  '          groups: [system:masters]',
  '',
].join('\n');

let fx: CiFixture;
let prodAgent: number;
let guardedAgent: number;
let configProjectId: number;
let appProjectId: number;
let dev: { id: number; token: string; api: ApiClient };
const jobs: Job[] = [];

before(async () => {
  fx = await startCiFixture();
  ({ agentId: prodAgent, projectId: configProjectId } = await connectAgent(fx, 'priv/config', 'prod'));
  appProjectId = (await ensureProject(fx.server, 'priv/app')).id;
  const user = await fx.server.api('POST', '/users', { username: 'dev', name: 'Dev' });
  const pat = await fx.server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'dev', scopes: ['api', 'write_repository'] });
  const group = await fx.server.api('GET', '/groups/priv');
  assert.equal((await fx.server.api('POST', `/groups/${group.body.id}/members`, { user_id: user.body.id, access_level: 30 })).status, 201);
  dev = { id: user.body.id, token: pat.body.token, api: fx.server.api.as(pat.body.token) };
  // A second agent that only protected branches, in production, may use.
  const guarded = await fx.server.api('POST', `/projects/${configProjectId}/cluster_agents`, { name: 'guarded' });
  guardedAgent = guarded.body.id;
  const guardedToken = await fx.server.api('POST', `/projects/${configProjectId}/cluster_agents/${guardedAgent}/tokens`, { name: 't' });
  fx.agents.push(await startAgent({ serverUrl: fx.server.url, token: guardedToken.body.token, sim: fx.sim, podName: 'guarded-pod', caCertFile: fx.server.caCertFile! }));
  await eventually(async () => ((await fx.server.api('GET', `/projects/${configProjectId}/cluster_agents/${guardedAgent}`)).body.connections?.length > 0 ? true : undefined), 20_000, 'guarded agent connected');
  await pushAgentConfig(
    fx,
    'priv/config',
    'guarded',
    guardedAgent,
    ['ci_access:', '  projects:', '    - id: priv/app', '      access_as:', '        ci_job: {}', '      protected_branches_only: true', '      environments: [production]', ''].join('\n'),
  );
  assert.equal((await fx.server.api('POST', `/projects/${appProjectId}/protected_environments`, { name: 'production', deploy_access_levels: [{ access_level: 40 }] })).status, 201);
  for (const branch of ['main', 'feature']) await ensureBranch(fx.server, 'priv/app', branch);
});

after(async () => {
  for (const job of jobs) await job.kenv.cleanup();
  await fx?.close();
});

/** Clones as `token`, commits `files` on `branch` and pushes; the push's exit code and stderr. */
async function pushAs(token: string, projectPath: string, branch: string, files: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'kubegate-priv-'));
  const env = gitEnv(home, fx.server.caCertFile);
  const dir = join(home, 'w');
  const git = (...args: string[]) => run('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-C', dir, ...args], { env });
  try {
    await run('git', ['clone', '--quiet', authUrl(fx.server, projectPath, token), dir], { env });
    const { stdout } = await git('ls-remote', '--heads', 'origin', branch);
    await git('checkout', '--quiet', ...(stdout.trim() ? [branch] : ['-b', branch]));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'change');
    try {
      await git('push', 'origin', `HEAD:refs/heads/${branch}`);
      return { code: 0, stderr: '' };
    } catch (err) {
      return { code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr };
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function configurationOf(agentId: number) {
  return (await fx.server.api('GET', `/projects/${configProjectId}/cluster_agents/${agentId}`)).body.configuration as { commit: string | null; errors: string[]; warnings: Array<{ message: string } | string> };
}

describe('1. the agent configuration is guarded by the default branch protection', () => {
  test("a Developer's push of a system:masters configuration to the default branch is refused; from another branch it changes nothing", async () => {
    const before = await configurationOf(prodAgent);
    const pushed = await pushAs(dev.token, 'priv/config', 'main', { '.gitlab/agents/prod/config.yaml': MASTERS_CONFIG });
    assert.notEqual(pushed.code, 0);
    assert.match(pushed.stderr, /remote: Kubegate: You are not allowed to push code to protected branches on this project\. Branch 'main' is protected: only Maintainers may push to it/);
    assert.equal((await configurationOf(prodAgent)).commit, before.commit, 'the configuration in force did not change');

    // The same file on a branch of their own is allowed, and is not the configuration.
    assert.equal((await pushAs(dev.token, 'priv/config', 'dev-branch', { '.gitlab/agents/prod/config.yaml': MASTERS_CONFIG })).code, 0);
    const job = await createJob(fx.server, 'priv/config', { ref: 'dev-branch' }, dev.api);
    jobs.push(job);
    const whoami = await kubectl(job.kenv, ['--context', 'priv/config:prod', 'auth', 'whoami', '-o', 'json']);
    assert.equal(whoami.code, 0, whoami.stderr);
    const info = JSON.parse(whoami.stdout).status.userInfo as { username: string; groups: string[] };
    assert.equal(info.username, 'system:serviceaccount:gitlab-agent:gitlab-agent', 'the agent acts as itself, not as the configured impersonation');
    assert.ok(!info.groups.includes('system:masters'));
  });

  test("a Developer who pushes another branch first to an empty project does not make it the default branch", async () => {
    const fresh = await ensureProject(fx.server, 'priv/fresh');
    assert.equal((await pushAs(dev.token, 'priv/fresh', 'master', { 'README.md': 'x' })).code, 0);
    assert.equal((await fx.server.api('GET', `/projects/${fresh.id}`)).body.default_branch, 'main');
  });

  test("a Maintainer's system:masters configuration is kept, with a warning on the agent", async () => {
    await pushFiles(fx.server, 'priv/config', { '.gitlab/agents/prod/config.yaml': MASTERS_CONFIG });
    const warned = await (async () => {
      for (let i = 0; i < 50; i++) {
        const conf = await configurationOf(prodAgent);
        const text = JSON.stringify(conf.warnings);
        if (text.includes('system:masters')) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      return JSON.stringify((await configurationOf(prodAgent)).warnings);
    })();
    assert.match(warned, /impersonate\.groups\[0\] is \\"system:masters\\", a built-in Kubernetes identity .*system:masters bypasses RBAC entirely/);
  });
});

describe('2. jobs for protected refs and environments', () => {
  test("a Developer cannot create a job for a ref that does not exist, a protected branch or a protected environment", async () => {
    const missing = await dev.api('POST', `/projects/${appProjectId}/jobs`, { ref: 'release/v9' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.message, 'ref "release/v9" does not exist in project priv/app: a job runs on an existing branch or tag; push it first');
    const protectedRef = await dev.api('POST', `/projects/${appProjectId}/jobs`, { ref: 'main', environment: 'production' });
    assert.equal(protectedRef.status, 403);
    assert.match(protectedRef.body.message, /branch "main" of project priv\/app is protected: only a user who may push or merge to it \(Maintainers\) may run jobs for it, and dev is a Developer/);
    const protectedEnv = await dev.api('POST', `/projects/${appProjectId}/jobs`, { ref: 'feature', environment: 'production' });
    assert.equal(protectedEnv.status, 403);
    assert.match(protectedEnv.body.message, /environment "production" of project priv\/app is protected: only Maintainers may deploy to it, and dev is a Developer/);
  });

  test("the Developer's own job does not get the guarded agent; a Maintainer's job on main in production does", async () => {
    const devJob = await createJob(fx.server, 'priv/app', { ref: 'feature' }, dev.api);
    jobs.push(devJob);
    assert.equal(devJob.body.ref_protected, false);
    const refused = await request(`${fx.server.url}/-/kubernetes-agent/k8s-proxy/api/v1/namespaces`, {
      dispatcher: new Agent({ connect: { ca: fx.server.caCert! } }),
      headers: { authorization: `Bearer ci:${guardedAgent}:${devJob.token}` },
    });
    assert.equal(refused.statusCode, 403);
    assert.match(await refused.body.text(), /may not use agent/);

    const maintainerJob = await createJob(fx.server, 'priv/app', { ref: 'main', environment: 'production' });
    jobs.push(maintainerJob);
    assert.equal(maintainerJob.body.ref_protected, true);
    const whoami = await kubectl(maintainerJob.kenv, ['--context', 'priv/config:guarded', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(whoami.stdout, `gitlab:ci_job:${maintainerJob.id}`);
  });
});

describe('3. the proxy forwards Kubernetes API paths only', () => {
  test("the agent's own endpoint is not reachable through the proxy, whatever the path or headers", async () => {
    const job = await createJob(fx.server, 'priv/config');
    jobs.push(job);
    // `--raw` takes the path from the host's root: the very request.
    const raw = await kubectl(job.kenv, ['--context', 'priv/config:prod', 'get', '--raw', '/-/kubernetes-agent/k8s-proxy/-/kubegate-tunnel/info']);
    assert.notEqual(raw.code, 0);
    assert.match(raw.stderr, /"\/-\/kubegate-tunnel\/info" is not a Kubernetes API path/);

    const dispatcher = new Agent({ connect: { ca: fx.server.caCert! } });
    const auth = { authorization: `Bearer ci:${prodAgent}:${job.token}` };
    // `dispatcher.request` sends the path as written (a URL would resolve the dot segments).
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await dispatcher.request({ origin: fx.server.url, path: `/-/kubernetes-agent/k8s-proxy${path}`, method: 'GET', headers: { ...auth, ...headers } });
      return { status: res.statusCode, body: await res.body.text() };
    };
    for (const path of ['/-/kubegate-tunnel/info', '/api/../-/kubegate-tunnel/info', '/api/v1/%2e%2e/%2e%2e/-/kubegate-tunnel/info', '//-/kubegate-tunnel/info', '/api%2F..%2F-/kubegate-tunnel/info', '/apis/../../-/kubegate-tunnel/info?x=1']) {
      const res = await get(path, { 'kubegate-tunnel-control': '1' });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /podName|kubernetesVersion/, `${path}: no agent info`);
      assert.equal(JSON.parse(res.body).kind, 'Status', path);
    }
    // A caller's kubegate-* headers never cross: with the control header, an API path is
    // still an ordinary Kubernetes request, as the job's identity.
    const listed = await get('/api/v1/namespaces', { 'kubegate-tunnel-control': '1', 'kubegate-upgrade': 'websocket', 'kubegate-identity': 'eyJraW5kIjoiYWdlbnQifQ' });
    assert.equal(listed.status, 200, listed.body);
    assert.equal(JSON.parse(listed.body).kind, 'NamespaceList');
    const whoami = await get('/apis/authentication.k8s.io/v1/selfsubjectreviews', { 'kubegate-tunnel-control': '1' });
    assert.notEqual(whoami.status, 200, 'a GET on selfsubjectreviews is not an info answer either');
    await dispatcher.close();
  });
});
