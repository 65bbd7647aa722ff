/**
 * Git smart HTTP end to end, with the real git CLI against an in-process server: clone,
 * commit and push with personal access tokens, push events with the right before/after,
 * the files API reading what was pushed, and every permission rule (roles, scopes,
 * protected branches, visibility) as the git user sees it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ZERO_SHA, type PushEvent } from '../../src/server/events.js';

type Who = 'reporter' | 'developer' | 'maintainer' | 'outsider' | 'readOnly';

let server: TestServer;
let home: string;
const tokens = {} as Record<Who, string>;
const events: PushEvent[] = [];
let repoUrl: string;
let projectId: number;
let first: string;
let second: string;

interface GitRun {
  code: number | null;
  out: string;
}

/** Runs git asynchronously: the server is in this process, a sync spawn would block it. */
function git(args: string[], cwd = home): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C', LC_ALL: 'C' };
    const child = spawn('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function gitOk(args: string[], cwd = home): Promise<string> {
  const r = await git(args, cwd);
  assert.equal(r.code, 0, `git ${args.join(' ')} failed:\n${r.out}`);
  return r.out.trim();
}

/** The clone URL with credentials (any user name, the token as the password). */
function urlAs(token: string | null, url = repoUrl): string {
  return token === null ? url : url.replace('://', `://user:${token}@`);
}

async function cloneAs(token: string | null, dir: string, url = repoUrl): Promise<GitRun> {
  await rm(join(home, dir), { recursive: true, force: true });
  return git(['clone', '--quiet', urlAs(token, url), dir]);
}

async function commitFile(dir: string, path: string, content: string, message: string): Promise<string> {
  await mkdir(join(home, dir, path, '..'), { recursive: true });
  await writeFile(join(home, dir, path), content);
  await gitOk(['add', '-A'], join(home, dir));
  await gitOk(['commit', '--quiet', '-m', message], join(home, dir));
  return gitOk(['rev-parse', 'HEAD'], join(home, dir));
}

async function createUser(name: string, scopes: string[] = ['api', 'read_repository', 'write_repository']): Promise<{ id: number; token: string }> {
  const user = await server.api('POST', '/users', { username: name, name });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const pat = await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'git', scopes });
  assert.equal(pat.status, 201, JSON.stringify(pat.body));
  return { id: user.body.id, token: pat.body.token };
}

before(async () => {
  server = await startTestServer();
  home = await mkdtemp(join(tmpdir(), 'kubegate-git-e2e-'));
  server.app.events.push.subscribe((e) => {
    events.push(e);
  });
  const group = await server.api('POST', '/groups', { name: 'Platform', path: 'platform' });
  const sub = await server.api('POST', '/groups', { name: 'Infra', path: 'infra', parent_id: group.body.id });
  const project = await server.api('POST', '/projects', { name: 'Agents', path: 'agents', namespace_id: sub.body.id });
  assert.equal(project.status, 201, JSON.stringify(project.body));
  projectId = project.body.id;
  repoUrl = project.body.http_url_to_repo;
  assert.equal(repoUrl, `${server.url}/platform/infra/agents.git`);

  const users = {} as Record<Who, { id: number; token: string }>;
  for (const who of ['reporter', 'developer', 'maintainer', 'outsider'] as const) users[who] = await createUser(who);
  tokens.readOnly = (await server.api('POST', `/users/${users.developer.id}/personal_access_tokens`, { name: 'ro', scopes: ['read_repository'] })).body.token;
  for (const who of ['reporter', 'developer', 'maintainer'] as const) tokens[who] = users[who].token;
  tokens.outsider = users.outsider.token;
  // Roles on the top-level group reach the project two levels down; one directly on it.
  await server.api('POST', `/groups/${group.body.id}/members`, { user_id: users.developer.id, access_level: 30 });
  await server.api('POST', `/groups/${group.body.id}/members`, { user_id: users.maintainer.id, access_level: 40 });
  await server.api('POST', `/projects/${projectId}/members`, { user_id: users.reporter.id, access_level: 20 });
  // main, the default branch, is protected on creation; release-* is protected here.
  assert.deepEqual((await server.api('GET', `/projects/${projectId}/protected_branches`)).body.map((b: { name: string }) => b.name), ['main']);
  assert.equal((await server.api('POST', `/projects/${projectId}/protected_branches`, { name: 'release-*' })).status, 201);
});

after(async () => {
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('git smart HTTP', () => {
  it('a Maintainer clones the empty repository and pushes the first commit: event before = zeros', async () => {
    const clone = await cloneAs(tokens.maintainer, 'm');
    assert.equal(clone.code, 0, clone.out);
    first = await commitFile('m', '.gitlab/agents/prod/config.yaml', 'ci_access:\n  groups:\n    - id: platform\n', 'agent config');
    events.length = 0;
    await gitOk(['push', '--quiet', 'origin', 'main'], join(home, 'm'));
    // Published before the push's response ended, so it is here as soon as git returns.
    assert.deepEqual(events, [
      {
        project: { id: projectId, path_with_namespace: 'platform/infra/agents', default_branch: 'main' },
        ref: 'refs/heads/main',
        before: ZERO_SHA,
        after: first,
        user: { id: events[0]?.user?.id ?? -1, username: 'maintainer' },
      },
    ]);
  });

  it('a second push reports the first commit as before', async () => {
    second = await commitFile('m', '.gitlab/agents/prod/config.yaml', 'ci_access:\n  projects:\n    - id: platform/infra/agents\n', 'narrow access');
    events.length = 0;
    await gitOk(['push', '--quiet', 'origin', 'main'], join(home, 'm'));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.before, first);
    assert.equal(events[0]!.after, second);
  });

  it('the files API reads what was pushed, in GitLab shape, and raw', async () => {
    const path = encodeURIComponent('.gitlab/agents/prod/config.yaml');
    const res = await server.api('GET', `/projects/${projectId}/repository/files/${path}?ref=main`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const content = 'ci_access:\n  projects:\n    - id: platform/infra/agents\n';
    assert.equal(res.body.file_name, 'config.yaml');
    assert.equal(res.body.file_path, '.gitlab/agents/prod/config.yaml');
    assert.equal(res.body.size, content.length);
    assert.equal(res.body.encoding, 'base64');
    assert.equal(Buffer.from(res.body.content, 'base64').toString(), content);
    assert.match(res.body.content_sha256, /^[0-9a-f]{64}$/);
    assert.equal(res.body.ref, 'main');
    assert.equal(res.body.commit_id, second);
    assert.equal(res.body.last_commit_id, second);
    assert.match(res.body.blob_id, /^[0-9a-f]{40}$/);

    const old = await server.api('GET', `/projects/${encodeURIComponent('platform/infra/agents')}/repository/files/${path}?ref=${first}`);
    assert.equal(Buffer.from(old.body.content, 'base64').toString(), 'ci_access:\n  groups:\n    - id: platform\n');
    const byDefault = await server.api('GET', `/projects/${projectId}/repository/files/${path}`);
    assert.equal(byDefault.body.commit_id, second, 'ref defaults to the default branch');

    const raw = await fetch(`${server.url}/api/v4/projects/${projectId}/repository/files/${path}/raw?ref=main`, { headers: { 'PRIVATE-TOKEN': server.rootToken } });
    assert.equal(raw.status, 200);
    assert.equal(await raw.text(), content);
    assert.equal(raw.headers.get('x-gitlab-commit-id'), second);
  });

  it('the files API: 404 for missing files and refs, 400 for bad refs and paths, 404 for outsiders', async () => {
    const files = `/projects/${projectId}/repository/files`;
    assert.deepEqual(await pick(server.api('GET', `${files}/nope.txt?ref=main`)), { status: 404, message: '404 File Not Found' });
    assert.deepEqual(await pick(server.api('GET', `${files}/.gitlab?ref=main`)), { status: 404, message: '404 File Not Found' });
    assert.equal((await server.api('GET', `${files}/README.md?ref=no-such-branch`)).status, 404);
    assert.equal((await server.api('GET', `${files}/README.md?ref=--upload-pack=touch%20x`)).status, 400);
    assert.equal((await server.api('GET', `${files}/README.md?ref=main..dev`)).status, 400);
    assert.equal((await server.api('GET', `${files}/README.md?ref=`)).status, 400);
    assert.equal((await server.api('GET', `${files}/${encodeURIComponent('../../etc/passwd')}?ref=main`)).status, 400);
    assert.equal((await server.api('GET', `${files}/${encodeURIComponent('-rf')}?ref=main`)).status, 400);
    assert.equal((await server.api.as(tokens.outsider)('GET', `${files}/${encodeURIComponent('.gitlab/agents/prod/config.yaml')}`)).status, 404);
    assert.equal((await server.api.as(tokens.reporter)('GET', `${files}/${encodeURIComponent('.gitlab/agents/prod/config.yaml')}`)).status, 200);
  });

  it('a Reporter can clone but not push, and git says why', async () => {
    assert.equal((await cloneAs(tokens.reporter, 'r')).code, 0);
    await commitFile('r', 'r.txt', 'r\n', 'reporter change');
    events.length = 0;
    const push = await git(['push', 'origin', 'HEAD:reporter-branch'], join(home, 'r'));
    assert.notEqual(push.code, 0);
    assert.match(push.out, /You are not allowed to push code to this project/);
    assert.match(push.out, /Developer role/);
    assert.equal(events.length, 0);
  });

  it('a Developer pushes to an unprotected branch, not to protected ones (message shown)', async () => {
    assert.equal((await cloneAs(tokens.developer, 'd')).code, 0);
    const commit = await commitFile('d', 'feature.txt', 'f\n', 'feature');
    events.length = 0;
    await gitOk(['push', '--quiet', 'origin', 'HEAD:feature/x'], join(home, 'd'));
    assert.deepEqual(events.map((e) => [e.ref, e.before, e.after, e.user?.username]), [['refs/heads/feature/x', ZERO_SHA, commit, 'developer']]);

    events.length = 0;
    const toMain = await git(['push', 'origin', 'HEAD:main'], join(home, 'd'));
    assert.notEqual(toMain.code, 0);
    assert.match(toMain.out, /remote: Kubegate: You are not allowed to push code to protected branches on this project\. Branch 'main' is protected/);
    assert.match(toMain.out, /pre-receive hook declined/);
    const toRelease = await git(['push', 'origin', 'HEAD:release-1'], join(home, 'd'));
    assert.notEqual(toRelease.code, 0, 'wildcard protection');
    assert.match(toRelease.out, /Branch 'release-1' is protected/);
    assert.equal(events.length, 0, 'refused pushes publish nothing');
    const res = await server.api('GET', `/projects/${projectId}/repository/files/feature.txt?ref=main`);
    assert.equal(res.status, 404, 'main did not move');
  });

  it('a Developer deletes an unprotected branch: event after = zeros', async () => {
    events.length = 0;
    await gitOk(['push', '--quiet', 'origin', '--delete', 'feature/x'], join(home, 'd'));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.ref, 'refs/heads/feature/x');
    assert.equal(events[0]!.after, ZERO_SHA);
  });

  it('a Maintainer pushes to a protected branch, but cannot force-push or delete it', async () => {
    const commit = await commitFile('m', 'release.txt', '1\n', 'release');
    events.length = 0;
    await gitOk(['push', '--quiet', 'origin', 'HEAD:main', 'HEAD:release-1'], join(home, 'm'));
    assert.deepEqual(events.map((e) => [e.ref, e.before, e.after]).sort(), [
      ['refs/heads/main', second, commit],
      ['refs/heads/release-1', ZERO_SHA, commit],
    ]);

    events.length = 0;
    await gitOk(['reset', '--quiet', '--hard', first], join(home, 'm'));
    await commitFile('m', 'rewrite.txt', 'x\n', 'rewritten history');
    const force = await git(['push', '--force', 'origin', 'HEAD:main'], join(home, 'm'));
    assert.notEqual(force.code, 0);
    assert.match(force.out, /You are not allowed to force push code to a protected branch on this project/);
    const del = await git(['push', 'origin', '--delete', 'release-1'], join(home, 'm'));
    assert.notEqual(del.code, 0);
    assert.match(del.out, /You can only delete protected branches using the API/);
    assert.equal(events.length, 0);
  });

  it('a non-member is told the repository is not found', async () => {
    const clone = await cloneAs(tokens.outsider, 'o');
    assert.notEqual(clone.code, 0);
    assert.match(clone.out, /not found/i);
    const missing = await cloneAs(tokens.outsider, 'o', `${server.url}/platform/infra/nothing-here.git`);
    assert.match(missing.out, /not found/i, 'the same as a project that does not exist');
    const byId = await cloneAs(server.rootToken, 'o', `${server.url}/${projectId}.git`);
    assert.match(byId.out, /not found/i, 'a project id is not a clone path');
  });

  it('no token, or a bad one, is an authentication failure', async () => {
    const none = await cloneAs(null, 'n');
    assert.notEqual(none.code, 0);
    assert.match(none.out, /could not read Username|Authentication failed/);
    const bad = await cloneAs('kgpat-not-a-real-token-000000000', 'n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /Authentication failed/);
    const probe = await fetch(`${repoUrl}/info/refs?service=git-upload-pack`);
    assert.equal(probe.status, 401);
    assert.equal(probe.headers.get('www-authenticate'), 'Basic realm="Kubegate"');
  });

  it('a read_repository-only token clones but cannot push', async () => {
    assert.equal((await cloneAs(tokens.readOnly, 'ro')).code, 0);
    await commitFile('ro', 'ro.txt', 'ro\n', 'ro');
    const push = await git(['push', 'origin', 'HEAD:ro-branch'], join(home, 'ro'));
    assert.notEqual(push.code, 0);
    assert.match(push.out, /write_repository scope/);
  });

  it('a public project is cloned anonymously; pushing still needs credentials', async () => {
    const pub = await server.api('POST', '/projects', { name: 'Public', path: 'public', visibility: 'public' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const url = pub.body.http_url_to_repo;
    assert.equal((await cloneAs(null, 'p', url)).code, 0);
    await commitFile('p', 'p.txt', 'p\n', 'p');
    const push = await git(['push', 'origin', 'HEAD:main'], join(home, 'p'));
    assert.notEqual(push.code, 0);
    assert.match(push.out, /could not read Username|Authentication failed/);
  });

  it('large pushes and clones stream through (8 MiB of incompressible data)', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    await mkdir(join(home, 'd'), { recursive: true });
    await writeFile(join(home, 'd', 'big.bin'), big);
    await gitOk(['add', 'big.bin'], join(home, 'd'));
    await gitOk(['commit', '--quiet', '-m', 'big'], join(home, 'd'));
    await gitOk(['push', '--quiet', 'origin', 'HEAD:big'], join(home, 'd'));
    await rm(join(home, 'big-clone'), { recursive: true, force: true });
    await gitOk(['clone', '--quiet', '--branch', 'big', urlAs(tokens.reporter), 'big-clone']);
    const back = await readFile(join(home, 'big-clone', 'big.bin'));
    assert.ok(back.equals(big), 'the clone has the same bytes');
  });

  it('gzip request bodies are inflated (git compresses large negotiations)', async () => {
    const want = `want ${second}\n`;
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const body = gzipSync(Buffer.from(`${pkt(want)}0000${pkt('done\n')}`));
    const res = await fetch(`${repoUrl}/git-upload-pack`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`x:${tokens.reporter}`).toString('base64')}`, 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' },
      body,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-git-upload-pack-result');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(bytes.includes(Buffer.from('PACK')), 'a pack came back');
    const broken = await fetch(`${repoUrl}/git-upload-pack`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`x:${tokens.reporter}`).toString('base64')}`, 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' },
      body: 'not gzip at all',
    });
    assert.equal(broken.status, 400);
  });
});

async function pick(response: Promise<{ status: number; body: any }>) {
  const r = await response;
  return { status: r.status, message: r.body?.message };
}
