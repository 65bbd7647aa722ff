/**
 * CI jobs over the REST API (CONTRACT.md): who may create them, what the server derives
 * (protected refs, environments, slugs, tiers), the job-token endpoints (`/job`,
 * `/job/allowed_agents` in GitLab's shape, `/job/kubeconfig`), finishing, and bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type ApiClient, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch, pushFiles } from '../helpers/git.js';

let server: TestServer;
let app: { id: number }; // acme/app: the project whose jobs we run
let agents: { id: number; path_with_namespace: string }; // acme/infra/agents: the configuration project
const users = {} as Record<'developer' | 'reporter' | 'outsider' | 'admin', { id: number; username: string; api: ApiClient }>;

async function makeUser(username: string, options: { admin?: boolean; projectId?: number; level?: number } = {}) {
  const user = await server.api('POST', '/users', { username, name: username, email: `${username}@example.com`, ...(options.admin ? { admin: true } : {}) });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const pat = await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'test', scopes: ['api'] });
  assert.equal(pat.status, 201, JSON.stringify(pat.body));
  if (options.projectId) {
    const member = await server.api('POST', `/projects/${options.projectId}/members`, { user_id: user.body.id, access_level: options.level });
    assert.equal(member.status, 201, JSON.stringify(member.body));
  }
  return { id: user.body.id as number, username, api: server.api.as(pat.body.token) };
}

async function createJob(body: Record<string, unknown>, api: ApiClient = server.api) {
  const res = await api('POST', `/projects/${app.id}/jobs`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: number; token: string; ref: string; ref_protected: boolean; pipeline: { id: number }; environment: { name: string; slug: string; tier: string } | null; user: { id: number; username: string } };
}

function withJobToken(token: string | undefined, path: string) {
  return server.fetch(`/api/v4${path}`, { headers: token === undefined ? {} : { 'JOB-TOKEN': token } });
}

async function jobJson(token: string, path: string): Promise<{ status: number; body: any }> {
  const res = await withJobToken(token, path);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  server = await startTestServer();
  app = await ensureProject(server, 'acme/app');
  agents = await ensureProject(server, 'acme/infra/agents');
  users.developer = await makeUser('dev', { projectId: app.id, level: 30 });
  users.reporter = await makeUser('rep', { projectId: app.id, level: 20 });
  users.outsider = await makeUser('outsider');
  users.admin = await makeUser('admin2', { admin: true });
  // The default branch (main) is protected on creation; release/* is protected here.
  const res = await server.api('POST', `/projects/${app.id}/protected_branches`, { name: 'release/*' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  // Jobs run on branches that exist.
  for (const branch of ['main', 'feature', 'release/1.2', 'releases']) await ensureBranch(server, 'acme/app', branch);
});

after(async () => {
  await server?.close();
});

describe('POST /projects/:id/jobs', () => {
  test('a developer creates a job and gets its token; the job runs as the developer', async () => {
    const job = await createJob({ ref: 'feature' }, users.developer.api);
    assert.match(job.token, /\S{20,}/);
    assert.equal(job.ref, 'feature');
    assert.equal(job.user.username, 'dev');
    assert.equal(job.environment, null);
    assert.ok(job.pipeline.id > 0);
  });

  test('a reporter gets 403, a non-member 404, no credentials 401', async () => {
    const reporter = await users.reporter.api('POST', `/projects/${app.id}/jobs`, { ref: 'main' });
    assert.equal(reporter.status, 403);
    assert.match(reporter.body.message, /Developer role/);
    const outsider = await users.outsider.api('POST', `/projects/${app.id}/jobs`, { ref: 'main' });
    assert.equal(outsider.status, 404);
    const anonymous = await server.api('POST', `/projects/${app.id}/jobs`, { ref: 'main' }, null);
    assert.equal(anonymous.status, 401);
  });

  test('an admin may run a job as another user; nobody else may', async () => {
    const asDev = await createJob({ ref: 'feature', user_id: users.developer.id }, users.admin.api);
    assert.equal(asDev.user.username, 'dev');
    const byDev = await users.developer.api('POST', `/projects/${app.id}/jobs`, { ref: 'feature', user_id: users.reporter.id });
    assert.equal(byDev.status, 403);
    assert.match(byDev.body.message, /only an administrator/);
    // Naming oneself is fine.
    const self = await createJob({ ref: 'feature', user_id: users.developer.id }, users.developer.api);
    assert.equal(self.user.username, 'dev');
    const missing = await server.api('POST', `/projects/${app.id}/jobs`, { ref: 'main', user_id: 99999 });
    assert.equal(missing.status, 404);
  });

  test('the ref must exist: an unknown branch or tag is a 400 naming it', async () => {
    for (const ref of ['no-such-branch', 'refs/heads/nope', 'refs/tags/v9']) {
      const res = await server.api('POST', `/projects/${app.id}/jobs`, { ref });
      assert.equal(res.status, 400, ref);
      assert.equal(res.body.message, `ref "${ref}" does not exist in project acme/app: a job runs on an existing branch or tag; push it first`);
    }
  });

  test('a job for a protected branch needs a user who may push or merge to it; the 403 names the branch and the role', async () => {
    const refused = await users.developer.api('POST', `/projects/${app.id}/jobs`, { ref: 'main' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, '403 Forbidden: branch "main" of project acme/app is protected: only a user who may push or merge to it (Maintainers) may run jobs for it, and dev is a Developer');
    // An administrator cannot get around it by running the job as the Developer.
    const asDev = await users.admin.api('POST', `/projects/${app.id}/jobs`, { ref: 'refs/heads/release/1.2', user_id: users.developer.id });
    assert.equal(asDev.status, 403);
    assert.match(asDev.body.message, /branch "release\/1\.2" of project acme\/app is protected/);
    // Developers + Maintainers may merge to release/9.*: a Developer may run jobs for it.
    assert.equal((await server.api('POST', `/projects/${app.id}/protected_branches`, { name: 'release/9.*', push_access_level: 40, merge_access_level: 30 })).status, 201);
    await ensureBranch(server, 'acme/app', 'release/9.0');
    const allowed = await createJob({ ref: 'release/9.0' }, users.developer.api);
    assert.equal(allowed.ref_protected, true);
  });

  test('ref_protected comes from the protected branches (wildcards too) and never from the caller', async () => {
    assert.equal((await createJob({ ref: 'main' })).ref_protected, true);
    assert.equal((await createJob({ ref: 'release/1.2' })).ref_protected, true);
    assert.equal((await createJob({ ref: 'refs/heads/main' })).ref_protected, true);
    assert.equal((await createJob({ ref: 'feature', ref_protected: true })).ref_protected, false);
    assert.equal((await createJob({ ref: 'releases' })).ref_protected, false);
  });

  test('an environment is created on first use, with the given tier or a guessed one, and a GitLab slug', async () => {
    const cases: Array<[name: string, tier: string | undefined, slug: RegExp, expectedTier: string]> = [
      ['production', undefined, /^production$/, 'production'],
      ['staging', undefined, /^staging$/, 'staging'],
      ['review/feature-1', undefined, /^review-feature-1-[a-z0-9]{6}$/, 'development'],
      ['qa', undefined, /^qa$/, 'testing'],
      ['custom', undefined, /^custom$/, 'other'],
      ['Canary', 'production', /^canary-[a-z0-9]{6}$/, 'production'],
      ['1st', undefined, /^env-1st-[a-z0-9]{6}$/, 'other'],
      ['a-very-long-environment-name-indeed', undefined, /^a-very-long-envir-[a-z0-9]{6}$/, 'other'],
    ];
    for (const [name, tier, slug, expectedTier] of cases) {
      const job = await createJob({ ref: 'main', environment: name, ...(tier ? { environment_tier: tier } : {}) });
      assert.equal(job.environment?.name, name);
      assert.match(job.environment!.slug, slug, name);
      assert.equal(job.environment!.tier, expectedTier, name);
    }
    // Second use: the same environment, its tier unchanged even if another is asked.
    const again = await createJob({ ref: 'main', environment: 'Canary', environment_tier: 'staging' });
    assert.equal(again.environment?.tier, 'production');
    const list = await server.api('GET', `/projects/${app.id}/environments`);
    assert.equal(list.status, 200);
    assert.equal(list.body.filter((e: { name: string }) => e.name === 'Canary').length, 1);
  });

  test('bad input answers 400 naming the field', async () => {
    const cases: Array<[body: unknown, message: RegExp]> = [
      [{}, /ref is missing/],
      [{ ref: '' }, /ref/],
      [{ ref: 'a*b' }, /ref/],
      [{ ref: 'main', environment: 'bad name!' }, /environment can contain only/],
      [{ ref: 'main', environment: '/leading' }, /environment cannot start or end with '\/'/],
      [{ ref: 'main', environment: 'x', environment_tier: 'prod' }, /environment_tier must be one of/],
      [{ ref: 'main', pipeline_id: 'abc' }, /pipeline_id must be an integer/],
      ['not json', /./],
    ];
    for (const [body, message] of cases) {
      const res = await server.api('POST', `/projects/${app.id}/jobs`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
  });

  test('an unknown project answers 404', async () => {
    const res = await server.api('POST', '/projects/999999/jobs', { ref: 'main' });
    assert.equal(res.status, 404);
  });
});

describe('protected environments', () => {
  test("GitLab's API: protect with deploy access levels, list, get, conflict, unprotect", async () => {
    const created = await server.api('POST', `/projects/${app.id}/protected_environments`, { name: 'prod-eu', deploy_access_levels: [{ access_level: 40 }, { user_id: users.developer.id }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, {
      name: 'prod-eu',
      deploy_access_levels: [
        { id: created.body.deploy_access_levels[0].id, access_level: 40, access_level_description: 'Maintainers', user_id: null, group_id: null, group_inheritance_type: 0 },
        { id: created.body.deploy_access_levels[1].id, access_level: null, access_level_description: 'the user dev', user_id: users.developer.id, group_id: null, group_inheritance_type: 0 },
      ],
      required_approval_count: 0,
      approval_rules: [],
    });
    assert.deepEqual((await server.api('GET', `/projects/${app.id}/protected_environments/prod-eu`)).body, created.body);
    const list = await server.api('GET', `/projects/${app.id}/protected_environments`);
    assert.deepEqual(list.body.map((e: { name: string }) => e.name), ['prod-eu']);
    const again = await server.api('POST', `/projects/${app.id}/protected_environments`, { name: 'prod-eu', deploy_access_levels: [{ access_level: 40 }] });
    assert.equal(again.status, 409);
    assert.equal(again.body.message, "Environment 'prod-eu' is already protected");
    assert.equal((await users.developer.api('GET', `/projects/${app.id}/protected_environments`)).status, 403, 'Maintainers only, as in GitLab');
    assert.equal((await server.api('DELETE', `/projects/${app.id}/protected_environments/prod-eu`)).status, 204);
    assert.equal((await server.api('GET', `/projects/${app.id}/protected_environments/prod-eu`)).status, 404);
    assert.equal((await server.api('DELETE', `/projects/${app.id}/protected_environments/prod-eu`)).status, 404);
  });

  test('bad deploy access levels are a 400 naming the entry', async () => {
    const cases: Array<[body: unknown, status: number, message: RegExp]> = [
      [{ name: 'x' }, 400, /^deploy_access_levels is missing$/],
      [{ name: 'x', deploy_access_levels: [] }, 400, /^deploy_access_levels is empty/],
      [{ name: 'x', deploy_access_levels: [{ access_level: 50 }] }, 400, /^deploy_access_levels\[0\]\.access_level must be one of 20 .*, 30 \(Developers \+ Maintainers\), 40 \(Maintainers\), 60 \(Administrators\)$/],
      [{ name: 'x', deploy_access_levels: [{ access_level: 40, user_id: 1 }] }, 400, /exactly one of access_level or user_id/],
      [{ name: 'x', deploy_access_levels: [{ group_id: 3 }] }, 400, /group_id: Kubegate does not support group entries/],
      [{ name: 'x', deploy_access_levels: [{ user_id: users.outsider.id }] }, 400, /is not a member of project acme\/app/],
      [{ name: 'bad name!', deploy_access_levels: [{ access_level: 40 }] }, 400, /can contain only/],
      [{ name: 'x', deploy_access_levels: [{ access_level: 40 }], required_approval_count: 2 }, 422, /no deployment approvals/],
    ];
    for (const [body, status, message] of cases) {
      const res = await server.api('POST', `/projects/${app.id}/protected_environments`, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
  });

  test('a job in a protected environment needs a user allowed to deploy to it', async () => {
    assert.equal((await server.api('POST', `/projects/${app.id}/protected_environments`, { name: 'live', deploy_access_levels: [{ access_level: 40 }] })).status, 201);
    const refused = await users.developer.api('POST', `/projects/${app.id}/jobs`, { ref: 'feature', environment: 'live' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, '403 Forbidden: environment "live" of project acme/app is protected: only Maintainers may deploy to it, and dev is a Developer');
    assert.equal((await server.api('GET', `/projects/${app.id}/environments`)).body.some((e: { name: string }) => e.name === 'live'), false, 'a refused job creates no environment');
    const byMaintainer = await createJob({ ref: 'feature', environment: 'live' });
    assert.equal(byMaintainer.environment?.name, 'live');
    // Named users may deploy too.
    assert.equal((await server.api('POST', `/projects/${app.id}/protected_environments`, { name: 'canary-live', deploy_access_levels: [{ user_id: users.developer.id }] })).status, 201);
    assert.equal((await createJob({ ref: 'feature', environment: 'canary-live' }, users.developer.api)).environment?.name, 'canary-live');
  });
});

describe('job token endpoints', () => {
  test('GET /job answers the job with JOB-TOKEN', async () => {
    const job = await createJob({ ref: 'main', environment: 'production', pipeline_id: 4242 });
    const res = await jobJson(job.token, '/job');
    assert.equal(res.status, 200);
    assert.equal(res.body.id, job.id);
    assert.equal(res.body.ref_protected, true);
    assert.equal(res.body.pipeline.id, 4242);
    assert.deepEqual(res.body.environment, { name: 'production', slug: 'production', tier: 'production' });
    assert.equal(res.body.token, undefined, 'the token is shown only at creation');
  });

  test('missing, wrong and foreign tokens answer 401 with a message', async () => {
    const missing = await withJobToken(undefined, '/job');
    assert.equal(missing.status, 401);
    assert.match(((await missing.json()) as { message: string }).message, /JOB-TOKEN header/);
    const empty = await withJobToken('', '/job');
    assert.equal(empty.status, 401);
    const job = await createJob({ ref: 'main' });
    const wrong = await withJobToken(`${job.token}x`, '/job');
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { message: string }).message, /not valid/);
    const pat = await withJobToken(server.rootToken, '/job/allowed_agents');
    assert.equal(pat.status, 401);
    assert.match(((await pat.json()) as { message: string }).message, /not a CI job token/);
  });

  test('finishing a job makes its token fail at once on every endpoint', async () => {
    const job = await createJob({ ref: 'main' });
    assert.equal((await withJobToken(job.token, '/job')).status, 200);
    const finish = await server.api('POST', `/projects/${app.id}/jobs/${job.id}/finish`, { status: 'failed' });
    assert.equal(finish.status, 200);
    assert.equal(finish.body.status, 'failed');
    for (const path of ['/job', '/job/allowed_agents', '/job/kubeconfig']) {
      const res = await withJobToken(job.token, path);
      assert.equal(res.status, 401, path);
      assert.match(((await res.json()) as { message: string }).message, new RegExp(`job ${job.id} has finished \\(failed\\)`));
    }
    // Finishing twice is harmless.
    assert.equal((await server.api('POST', `/projects/${app.id}/jobs/${job.id}/finish`)).status, 200);
  });

  test('finish: unknown job 404, reporter 403, bad status 400', async () => {
    assert.equal((await server.api('POST', `/projects/${app.id}/jobs/999999/finish`)).status, 404);
    assert.equal((await server.api('POST', `/projects/${app.id}/jobs/999999/finish`, undefined, null)).status, 401);
    const job = await createJob({ ref: 'main' });
    assert.equal((await users.reporter.api('POST', `/projects/${app.id}/jobs/${job.id}/finish`)).status, 403);
    const bad = await server.api('POST', `/projects/${app.id}/jobs/${job.id}/finish`, { status: 'exploded' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /status must be one of/);
    // A job of another project is not found through this one.
    assert.equal((await server.api('POST', `/projects/${agents.id}/jobs/${job.id}/finish`)).status, 404);
  });
});

describe('allowed agents and kubeconfig', () => {
  let implicitAgent: number; // acme/app's own agent "local"
  let sharedAgent: number; // acme/infra/agents' agent "shared"

  before(async () => {
    await pushFiles(server, 'acme/app', { '.gitlab/agents/local/config.yaml': '' });
    const local = await server.api('POST', `/projects/${app.id}/cluster_agents`, { name: 'local' });
    assert.equal(local.status, 201, JSON.stringify(local.body));
    implicitAgent = local.body.id;
    await pushFiles(server, 'acme/infra/agents', {
      '.gitlab/agents/shared/config.yaml': [
        'ci_access:',
        '  projects:',
        '    - id: acme/app',
        '      default_namespace: apps',
        '      access_as:',
        '        ci_job: {}',
        '      environments: [production, "review/*"]',
        '      protected_branches_only: true',
        '',
      ].join('\n'),
    });
    const shared = await server.api('POST', `/projects/${agents.id}/cluster_agents`, { name: 'shared' });
    assert.equal(shared.status, 201, JSON.stringify(shared.body));
    sharedAgent = shared.body.id;
  });

  test("GET /job/allowed_agents answers in GitLab's shape", async () => {
    const job = await createJob({ ref: 'main', environment: 'production' });
    const res = await jobJson(job.token, '/job/allowed_agents');
    assert.equal(res.status, 200);
    const groups = (await server.api('GET', '/groups/acme')).body;
    assert.deepEqual(res.body, {
      allowed_agents: [
        { id: implicitAgent, config_project: { id: app.id, path_with_namespace: 'acme/app' }, configuration: { access_as: { agent: {} } } },
        {
          id: sharedAgent,
          config_project: { id: agents.id, path_with_namespace: 'acme/infra/agents' },
          configuration: { default_namespace: 'apps', access_as: { ci_job: {} }, environments: ['production', 'review/*'], protected_branches_only: true },
        },
      ],
      job: { id: job.id },
      pipeline: { id: job.pipeline.id },
      project: { id: app.id, groups: [{ id: groups.id }] },
      user: { id: 1, username: 'root' },
      environment: { slug: 'production', tier: 'production' },
    });
  });

  test('without environment: no environment key, and the restricted agent is left out', async () => {
    const job = await createJob({ ref: 'main' });
    const res = await jobJson(job.token, '/job/allowed_agents');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.allowed_agents.map((a: { id: number }) => a.id), [implicitAgent]);
    assert.equal('environment' in res.body, false);
    const unprotected = await createJob({ ref: 'feature', environment: 'production' });
    const res2 = await jobJson(unprotected.token, '/job/allowed_agents');
    assert.deepEqual(res2.body.allowed_agents.map((a: { id: number }) => a.id), [implicitAgent]);
  });

  test('GET /job/kubeconfig: one proxy cluster without CA on plain HTTP, a user and a context per agent', async () => {
    const job = await createJob({ ref: 'main', environment: 'review/x' });
    const res = await withJobToken(job.token, '/job/kubeconfig');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /yaml/);
    const config = parseYaml(await res.text());
    assert.equal(config.kind, 'Config');
    assert.equal(config.apiVersion, 'v1');
    assert.deepEqual(config.clusters, [{ name: 'kubegate', cluster: { server: `${server.url}/-/kubernetes-agent/k8s-proxy/` } }]);
    assert.deepEqual(config.users, [
      { name: `agent:${implicitAgent}`, user: { token: `ci:${implicitAgent}:${job.token}` } },
      { name: `agent:${sharedAgent}`, user: { token: `ci:${sharedAgent}:${job.token}` } },
    ]);
    assert.deepEqual(config.contexts, [
      { name: 'acme/app:local', context: { cluster: 'kubegate', user: `agent:${implicitAgent}` } },
      { name: 'acme/infra/agents:shared', context: { cluster: 'kubegate', user: `agent:${sharedAgent}`, namespace: 'apps' } },
    ]);
    assert.equal(config['current-context'], undefined);
  });

  test('a configuration push changes allowed_agents within 1 s', async () => {
    const job = await createJob({ ref: 'feature' });
    const ids = async () => ((await jobJson(job.token, '/job/allowed_agents')).body.allowed_agents as Array<{ id: number }>).map((a) => a.id);
    assert.deepEqual(await ids(), [implicitAgent]);
    await pushFiles(server, 'acme/infra/agents', { '.gitlab/agents/shared/config.yaml': 'ci_access:\n  groups:\n    - id: acme\n' });
    const pushed = Date.now();
    const seen = await pollUntil(async () => {
      const now = await ids();
      return now.includes(sharedAgent) ? now : undefined;
    }, pushed + 1000);
    assert.deepEqual(seen, [implicitAgent, sharedAgent]);
    const kubeconfig = parseYaml(await (await withJobToken(job.token, '/job/kubeconfig')).text());
    assert.deepEqual(kubeconfig.contexts.map((c: { name: string }) => c.name), ['acme/app:local', 'acme/infra/agents:shared']);
    // And away again.
    await pushFiles(server, 'acme/infra/agents', { '.gitlab/agents/shared/config.yaml': '# nobody\n' });
    const removed = Date.now();
    const gone = await pollUntil(async () => {
      const now = await ids();
      return now.includes(sharedAgent) ? undefined : now;
    }, removed + 1000);
    assert.deepEqual(gone, [implicitAgent]);
  });
});

test('GET /job/kubeconfig over HTTPS with a private CA carries certificate-authority-data', async () => {
  const tls = await startTestServer({ tls: true });
  try {
    const project = await ensureProject(tls, 'tls/app');
    await ensureBranch(tls, 'tls/app', 'main');
    const job = await tls.api('POST', `/projects/${project.id}/jobs`, { ref: 'main' });
    assert.equal(job.status, 201);
    const res = await tls.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': job.body.token } });
    assert.equal(res.status, 200);
    const config = parseYaml(await res.text());
    assert.equal(config.clusters.length, 1);
    assert.equal(config.clusters[0].cluster.server, `${tls.url}/-/kubernetes-agent/k8s-proxy/`);
    assert.ok(tls.url.startsWith('https://'));
    assert.equal(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString().trim(), tls.caCert!.trim());
    // No agent: no users, no contexts, but still a valid kubeconfig.
    assert.deepEqual(config.users, []);
    assert.deepEqual(config.contexts, []);
  } finally {
    await tls.close();
  }
});

/** Polls `check` until it returns a value; fails once `deadline` (epoch ms) has passed. */
async function pollUntil<T>(check: () => Promise<T | undefined>, deadline: number): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not seen within the deadline (${Date.now() - deadline} ms late)`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
