/**
 * Issue 8, item 4: tokens in query strings (`?private_token=`, `?job_token=`, GitLab's
 * forms) were logged in full. A whole session — API calls with tokens in headers and in
 * query strings, Git over HTTP, a job's kubectl through the proxy, an agent, refused
 * credentials — runs against a server (debug logging) and a real agent; then every log
 * line of both is searched for every token used.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { connectAgent, createJob, startCiFixture, type CiFixture, type Job } from '../helpers/ci.js';
import { gitEnv } from '../helpers/git.js';
import { rawTunnelClient } from '../../src/modules/tunnel/testing.js';

const run = promisify(execFile);

let fx: CiFixture;
let job: Job | undefined;

before(async () => {
  fx = await startCiFixture();
});

after(async () => {
  await job?.kenv.cleanup();
  await fx?.close();
});

test('no token used in a session appears in any log line of the server or the agent', async () => {
  const secrets = { root: fx.server.rootToken } as Record<
    'root' | 'agent' | 'agentServiceAccount' | 'personal' | 'job' | 'wrongPersonal' | 'wrongJob' | 'plainQuerySecret' | 'wrongAgent',
    string
  >;
  const { agentId, projectId } = await connectAgent(fx, 'redact/config', 'agent');
  const agentToken = await fx.server.api('POST', `/projects/${projectId}/cluster_agents/${agentId}/tokens`, { name: 'second' });
  secrets.agent = agentToken.body.token;
  secrets.agentServiceAccount = fx.sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
  const user = await fx.server.api('POST', '/users', { username: 'logged', name: 'Logged' });
  const pat = await fx.server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'p', scopes: ['api', 'read_repository'] });
  secrets.personal = pat.body.token;
  await fx.server.api('POST', `/projects/${projectId}/members`, { user_id: user.body.id, access_level: 30 });
  job = await createJob(fx.server, 'redact/config');
  secrets.job = job.token;
  secrets.wrongPersonal = 'kgpat-WrongWrongWrongWrongWrongWrong12';
  secrets.wrongJob = 'kgjob-WrongWrongWrongWrongWrongWrong12';
  secrets.plainQuerySecret = 'plain-query-secret-0123456789';
  secrets.wrongAgent = 'kgagent-WrongWrongWrongWrongWrong1234';

  const dispatcher = new Agent({ connect: { ca: fx.server.caCert! } });
  const call = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${fx.server.url}${path}`, { dispatcher, headers });
    await res.body.dump();
    return res.statusCode;
  };
  // Personal tokens: headers, GitLab's query form, wrong ones, a foreign credential parameter.
  assert.equal(await call('/api/v4/user', { 'private-token': secrets.personal }), 200);
  assert.equal(await call('/api/v4/user', { authorization: `Bearer ${secrets.personal}` }), 200);
  await call(`/api/v4/user?private_token=${secrets.personal}`);
  await call(`/api/v4/projects?per_page=5&private_token=${secrets.wrongPersonal}&page=1`);
  await call(`/api/v4/projects/${projectId}/repository/files/README.md/raw?ref=main&private_token=${secrets.personal}`, { 'private-token': secrets.personal });
  await call(`/api/v4/user?access_token=${secrets.plainQuerySecret}`);
  assert.equal(await call('/api/v4/user', { 'private-token': secrets.wrongPersonal }), 401);
  // Job tokens: the header, the query form, the proxy's ci:<agent>:<token>, a wrong one.
  assert.equal(await call('/api/v4/job', { 'job-token': secrets.job }), 200);
  await call(`/api/v4/job?job_token=${secrets.job}`);
  assert.equal(await call('/api/v4/job', { 'job-token': secrets.wrongJob }), 401);
  assert.equal(await call(`/-/kubernetes-agent/k8s-proxy/api/v1/namespaces?job_token=${secrets.job}`, { authorization: `Bearer ci:${agentId}:${secrets.wrongJob}` }), 401);
  const k = await kubectl(job.kenv, ['--context', 'redact/config:agent', 'get', 'namespaces', '-o', 'name']);
  assert.equal(k.code, 0, k.stderr);
  // Git over HTTP with the token as the password, and in the query string.
  const home = await mkdtemp(join(tmpdir(), 'kubegate-redact-'));
  try {
    const url = new URL(`${fx.server.url}/redact/config.git`);
    url.username = 'x';
    url.password = secrets.personal;
    await run('git', ['ls-remote', url.toString()], { env: gitEnv(home, fx.server.caCertFile) });
    await call(`/redact/config.git/info/refs?service=git-upload-pack&private_token=${secrets.personal}`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  // Agents: a bad token at the tunnel, and the second good one connecting.
  const refused = await rawTunnelClient(`${fx.server.url}/-/kubernetes-agent/`, secrets.wrongAgent, { ca: fx.server.caCert! }).catch((err: Error) => err);
  if (!(refused instanceof Error)) refused.socket.destroy();
  await dispatcher.close();

  const serverLog = fx.server.logs.map((l) => JSON.stringify(l)).join('\n');
  const agentLog = fx.agents.flatMap((a) => a.logs).map((l) => JSON.stringify(l)).join('\n');
  // The session was logged (at debug level, every request), with the secrets hidden.
  assert.match(serverLog, /private_token=\[redacted\]/);
  assert.match(serverLog, /job_token=\[redacted\]/);
  assert.match(serverLog, /access_token=\[redacted\]/);
  assert.match(serverLog, /agent connection refused/);
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(!serverLog.includes(secret), `the ${what} token is in the server's log`);
    assert.ok(!agentLog.includes(secret), `the ${what} token is in the agent's log`);
  }
});
