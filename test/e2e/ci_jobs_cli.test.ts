/**
 * `kubegate ci kubeconfig` as a CI job runs it: a real process, with only environment
 * variables, against a real server (plain HTTP and HTTPS with a private CA).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch, pushFiles } from '../helpers/git.js';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');

let server: TestServer;
let tls: TestServer;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubegate(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { PATH: process.env.PATH, HOME: dir, ...env }, cwd: resolve(import.meta.dirname, '../..') }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function newJob(on: TestServer, projectPath: string): Promise<{ id: number; token: string; projectId: number }> {
  const project = await ensureProject(on, projectPath);
  await ensureBranch(on, project.path_with_namespace, 'main');
  const job = await on.api('POST', `/projects/${project.id}/jobs`, { ref: 'main' });
  assert.equal(job.status, 201, JSON.stringify(job.body));
  return { id: job.body.id, token: job.body.token, projectId: project.id };
}

before(async () => {
  [server, tls] = await Promise.all([startTestServer(), startTestServer({ tls: true })]);
  dir = await mkdtemp(join(tmpdir(), 'kubegate-ci-cli-'));
  const project = await ensureProject(server, 'acme/app');
  const agent = await server.api('POST', `/projects/${project.id}/cluster_agents`, { name: 'local' });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
});

after(async () => {
  await Promise.all([server?.close(), tls?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('prints the same kubeconfig the API serves', async () => {
  const job = await newJob(server, 'acme/app');
  const run = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: `${server.url}/` });
  assert.equal(run.code, 0, run.stderr);
  const api = await (await server.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': job.token } })).text();
  assert.equal(run.stdout, api);
  const config = parseYaml(run.stdout);
  assert.deepEqual(config.contexts.map((c: { name: string }) => c.name), ['acme/app:local']);
  assert.equal(config.users[0].user.token.endsWith(`:${job.token}`), true);
});

test('--write writes $KUBECONFIG with mode 0600, replacing a wider file', async () => {
  const job = await newJob(server, 'acme/app');
  const path = join(dir, 'kubeconfig');
  await writeFile(path, 'old', { mode: 0o644 });
  const run = await kubegate(['ci', 'kubeconfig', '--write'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: server.url, KUBECONFIG: path });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '', 'nothing on stdout: the token stays out of the job log');
  assert.match(run.stderr, /wrote the job's kubeconfig to/);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(parseYaml(await readFile(path, 'utf8')).kind, 'Config');
});

test('--write without KUBECONFIG, missing CI_JOB_TOKEN or KUBEGATE_URL: exit 2 with what to set', async () => {
  const job = await newJob(server, 'acme/app');
  const cases: Array<[args: string[], env: NodeJS.ProcessEnv, message: RegExp]> = [
    [['ci', 'kubeconfig', '--write'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: server.url }, /--write needs KUBECONFIG/],
    [['ci', 'kubeconfig'], { KUBEGATE_URL: server.url }, /CI_JOB_TOKEN is not set/],
    [['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token }, /KUBEGATE_URL is not set/],
    [['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: 'kubegate.example.com' }, /KUBEGATE_URL "kubegate.example.com" is not a URL/],
    [['ci', 'kubeconfig', '--ca-cert-file', join(dir, 'nope.pem')], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: server.url }, /cannot read the CA certificate file/],
  ];
  for (const [args, env, message] of cases) {
    const run = await kubegate(args, env);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
});

test('a finished job or a wrong token: a clear 401 message', async () => {
  const job = await newJob(server, 'acme/app');
  assert.equal((await server.api('POST', `/projects/${job.projectId}/jobs/${job.id}/finish`)).status, 200);
  const finished = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: server.url });
  assert.equal(finished.code, 2);
  assert.match(finished.stderr, /the server refused the job token \(401: 401 Unauthorized: job \d+ has finished/);
  const wrong = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: 'kgjob-wrong', KUBEGATE_URL: server.url });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /refused the job token/);
});

test('HTTPS with a private CA: proven with the job token without a CA file, or given with --ca-cert-file or KUBEGATE_CA_CERT_FILE', async () => {
  const job = await newJob(tls, 'tls/app');
  const proven = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: tls.url });
  assert.equal(proven.code, 0, proven.stderr);
  assert.ok(proven.stderr.includes(`kubegate: trusting the server's private CA (SHA-256 ${tls.app.trust.fingerprint}), proven with the job token`), proven.stderr);
  const wrong = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: 'kgjob-not-a-job-token-0123456789abcdef', KUBEGATE_URL: tls.url });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /uses a certificate from a CA this machine does not trust, and the CA offered at https:\/\/127\.0\.0\.1:\d+\/-\/tls\/ca\.pem comes without a valid proof for this token .*pass the server's CA with --ca-cert-file or KUBEGATE_CA_CERT_FILE/);
  const flag = await kubegate(['ci', 'kubeconfig', '--ca-cert-file', tls.caCertFile!], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: tls.url });
  assert.equal(flag.code, 0, flag.stderr);
  assert.ok(parseYaml(flag.stdout).clusters[0].cluster['certificate-authority-data']);
  const env = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.token, KUBEGATE_URL: tls.url, KUBEGATE_CA_CERT_FILE: tls.caCertFile! });
  assert.equal(env.code, 0, env.stderr);
  assert.equal(env.stdout, flag.stdout);
  assert.equal(proven.stdout, flag.stdout);
});

test('a job that gets no context is told, per agent it could have reached, why not', async () => {
  await ensureProject(server, 'why/clusters');
  await ensureProject(server, 'why/app');
  await ensureProject(server, 'elsewhere/clusters');
  await pushFiles(server, 'why/clusters', {
    '.gitlab/agents/prod/config.yaml': 'ci_access:\n  projects:\n    - id: why/app\n      environments: [production]\n',
    '.gitlab/agents/protected/config.yaml': 'ci_access:\n  groups:\n    - id: why\n      protected_branches_only: true\n',
  });
  await pushFiles(server, 'elsewhere/clusters', { '.gitlab/agents/far/config.yaml': 'ci_access:\n  projects:\n    - id: why/app\n' });
  for (const [project, name] of [['why/clusters', 'prod'], ['why/clusters', 'protected'], ['why/clusters', 'silent'], ['elsewhere/clusters', 'far']] as const) {
    const p = await ensureProject(server, project);
    assert.equal((await server.api('POST', `/projects/${p.id}/cluster_agents`, { name })).status, 201);
  }
  const app = await ensureProject(server, 'why/app');
  await pushFiles(server, 'why/app', { 'README.md': 'x' });
  await ensureBranch(server, 'why/app', 'feature');
  // `feature` is not protected (the default branch `main` is, from the project's creation).
  const job = await server.api('POST', `/projects/${app.id}/jobs`, { ref: 'feature', environment: 'staging' });
  assert.equal(job.status, 201, JSON.stringify(job.body));
  const run = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: job.body.token, KUBEGATE_URL: server.url });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(parseYaml(run.stdout).contexts ?? [], []);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines[0], 'kubegate: this job gets no agent context. Agents it could have used, and why not:');
  assert.match(run.stderr, /^kubegate: {3}why\/clusters:prod \(agent \d+, environment not matched\): \.gitlab\/agents\/prod\/config\.yaml in why\/clusters: environment "staging" is not among the environments of the entry for why\/app \(line 3\): production$/m);
  assert.match(run.stderr, /^kubegate: {3}why\/clusters:silent \(agent \d+, not granted\): .*lists neither why\/app nor a group above it under ci_access; add it there$/m);
  assert.match(run.stderr, /^kubegate: {3}elsewhere\/clusters:far \(agent \d+, other root namespace\): its configuration project elsewhere\/clusters is in another top-level group than why\/app/m);
  // On the protected main, the protected-only agent takes the job; the others still say why not.
  const mainJob = await server.api('POST', `/projects/${app.id}/jobs`, { ref: 'main' });
  assert.equal(mainJob.status, 201, JSON.stringify(mainJob.body));
  const onMain = await kubegate(['ci', 'kubeconfig'], { CI_JOB_TOKEN: mainJob.body.token, KUBEGATE_URL: server.url });
  assert.deepEqual(parseYaml(onMain.stdout).contexts.map((c: { name: string }) => c.name), ['why/clusters:protected'], onMain.stderr);
  assert.match(onMain.stderr, /^kubegate: agents this job could have used and did not get, and why:$/m);
  assert.match(onMain.stderr, /why\/clusters:prod \(agent \d+, environment not matched\): .*lists environments \(production\) and the job has none/);

  // The same, from the API, on request only (GitLab's shape otherwise).
  const plain = await server.fetch('/api/v4/job/allowed_agents', { headers: { 'JOB-TOKEN': job.body.token } });
  assert.equal('excluded_agents' in ((await plain.json()) as object), false);
  const asked = (await (await server.fetch('/api/v4/job/allowed_agents?include_exclusions=true', { headers: { 'JOB-TOKEN': job.body.token } })).json()) as { excluded_agents: Array<{ name: string; reason: string }> };
  assert.deepEqual(asked.excluded_agents.map((e) => [e.name, e.reason]).sort(), [['far', 'other_root_namespace'], ['prod', 'environment_not_matched'], ['protected', 'ref_not_protected'], ['silent', 'not_granted']].sort());
});
