/**
 * `kubegate server` as a real process (the CLI through tsx): the root token, flags over
 * environment variables, health and metrics, JSON logs without secrets, draining on
 * SIGTERM, data across restarts, and a consistent database after `kill -9` in the middle
 * of a burst of writes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import SQLite from 'better-sqlite3';
import { apiClient } from '../helpers/server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ROOT_TOKEN = 'kgpat-e2e-server-root-token-0123456789';

interface Running {
  proc: ChildProcess;
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines (stdout), parsed; throws on a line that is not JSON. */
  logs(): Array<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const started: Running[] = [];
const dirs: string[] = [];
after(async () => {
  for (const r of started) if (r.proc.exitCode === null && r.proc.signalCode === null) await r.stop('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kubegate-e2e-server-'));
  dirs.push(d);
  return d;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** The environment without any KUBEGATE_* from the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBEGATE_')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts the CLI; resolves once the server logs that it listens (or rejects when it exits first). */
async function startServer(opts: { dataDir: string; args?: string[]; env?: Record<string, string>; port?: number; waitFor?: 'listening' | 'exit' }): Promise<Running> {
  const port = opts.port ?? (await freePort());
  // Plain HTTP: these tests are about the process, not TLS (test/e2e/first_run.test.ts is).
  const args = opts.args ?? ['--listen', `127.0.0.1:${port}`, '--data-dir', opts.dataDir, '--no-tls'];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', ...args], { cwd: ROOT, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const running: Running = {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            throw new Error(`a log line that is not JSON: ${l}`);
          }
        }),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    exited,
  };
  started.push(running);
  if (opts.waitFor === 'exit') {
    await exited;
    return running;
  }
  const listening = new Promise<void>((res) => {
    const check = () => {
      if (out.includes('kubegate server listening')) {
        proc.stdout!.off('data', check);
        res();
      }
    };
    proc.stdout!.on('data', check);
    check();
  });
  const result = await Promise.race([listening.then(() => 'up' as const), exited.then(() => 'exited' as const)]);
  if (result === 'exited') throw new Error(`the server exited before listening:\n${err}\n${out}`);
  return running;
}

describe('root token', () => {
  it('a generated root token is printed once on first start, works, and is never logged', async () => {
    const dataDir = await tempDir();
    const first = await startServer({ dataDir });
    const match = /^\s+(kgpat-[A-Za-z0-9]{32})\s*$/m.exec(first.stderr());
    assert.ok(match, `the token is printed on first start:\n${first.stderr()}`);
    const token = match[1]!;
    const me = await apiClient(first.url, token)('GET', '/user');
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'root');
    assert.equal(me.body.is_admin, true);
    assert.equal(await first.stop(), 0);
    assert.ok(!first.stdout().includes(token), 'the token is not in the JSON logs');
    assert.equal(first.stderr().split(token).length - 1, 1, 'printed exactly once');

    const second = await startServer({ dataDir });
    assert.equal((await apiClient(second.url, token)('GET', '/user')).status, 200, 'the same token works after a restart');
    assert.equal(await second.stop(), 0);
    assert.doesNotMatch(second.stderr(), /kgpat-/, 'no token printed on the second start');
    assert.doesNotMatch(second.stdout(), /kgpat-/);
  });

  it('refuses a KUBEGATE_ROOT_TOKEN shorter than 20 characters with a clear message', async () => {
    const dataDir = await tempDir();
    const run = await startServer({ dataDir, env: { KUBEGATE_ROOT_TOKEN: 'short-token-123' }, waitFor: 'exit' });
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.stderr(), /KUBEGATE_ROOT_TOKEN must be at least 20 characters/);
    assert.doesNotMatch(run.stderr(), /^\s+at /m, 'a message, not a stack trace');
    assert.ok(!run.stdout().includes('short-token-123') && !run.stderr().includes('short-token-123'), 'the refused token is not echoed');
  });
});

describe('configuration', () => {
  it('a flag wins over its environment variable (--listen over KUBEGATE_LISTEN)', async () => {
    const dataDir = await tempDir();
    const envPort = await freePort();
    const flagPort = await freePort();
    const run = await startServer({ dataDir, port: flagPort, env: { KUBEGATE_LISTEN: `127.0.0.1:${envPort}`, KUBEGATE_ROOT_TOKEN: ROOT_TOKEN } });
    assert.equal((await fetch(`http://127.0.0.1:${flagPort}/-/liveness`)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${envPort}/-/liveness`), 'nothing listens on the port from the environment');
    assert.equal(await run.stop(), 0);
  });

  it('uses the environment variable when there is no flag', async () => {
    const dataDir = await tempDir();
    const envPort = await freePort();
    const run = await startServer({ dataDir, port: envPort, args: ['--data-dir', dataDir], env: { KUBEGATE_NO_TLS: 'true', KUBEGATE_LISTEN: `127.0.0.1:${envPort}`, KUBEGATE_ROOT_TOKEN: ROOT_TOKEN } });
    assert.equal((await fetch(`http://127.0.0.1:${envPort}/-/readiness`)).status, 200);
    assert.equal(await run.stop(), 0);
  });
});

describe('a running server', () => {
  let run: Running;
  let dataDir = '';
  const ids = { group: 0, project: 0 };

  it('answers liveness and readiness', async () => {
    dataDir = await tempDir();
    run = await startServer({ dataDir, env: { KUBEGATE_ROOT_TOKEN: ROOT_TOKEN } });
    for (const path of ['/-/liveness', '/-/readiness']) {
      const res = await fetch(`${run.url}${path}`);
      assert.equal(res.status, 200, path);
    }
  });

  it('serves Prometheus metrics counting requests', async () => {
    await fetch(`${run.url}/api/v4/version`);
    const res = await fetch(`${run.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^# TYPE kubegate_http_requests_total counter$/m);
    assert.match(text, /^kubegate_http_requests_total\{[^}]*route="\/api\/v4\/version"[^}]*\} \d+/m);
  });

  it('logs JSON lines with request ids and no secrets', async () => {
    const api = apiClient(run.url, ROOT_TOKEN);
    const user = await api('POST', '/users', { username: 'logged', name: 'Logged' });
    const pat = await api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] });
    const secret = pat.body.token as string;
    const requestId = 'e2e-request-id-42';
    const res = await fetch(`${run.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': secret, 'X-Request-Id': requestId } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), requestId, 'the request id is echoed');
    await fetch(`${run.url}/api/v4/user`, { headers: { Authorization: `Bearer ${secret}` } });
    await fetch(`${run.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': 'kgpat-wrong-token-that-is-also-secret' } });
    // Pino writes asynchronously: wait until the request's lines are out.
    while (!run.stdout().includes(requestId) || run.logs().filter((l) => l.reqId === requestId).length < 2) await new Promise((r) => setTimeout(r, 20));

    const lines = run.logs();
    const forRequest = lines.filter((l) => l.reqId === requestId);
    assert.ok(forRequest.some((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 200), 'the response is logged with the request id');
    assert.ok(lines.filter((l) => l.req).every((l) => typeof l.reqId === 'string' && l.reqId.length > 0), 'every request line has a request id');
    assert.ok(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'string' && typeof l.msg === 'string'), 'structured lines');
    const everything = run.stdout() + run.stderr();
    for (const s of [secret, ROOT_TOKEN, 'kgpat-wrong-token-that-is-also-secret']) assert.ok(!everything.includes(s), `a secret leaked into the logs: ${s.slice(0, 12)}…`);
  });

  it('finishes a request in flight on SIGTERM, refuses nothing it accepted, and exits 0', async () => {
    const api = apiClient(run.url, ROOT_TOKEN);
    const group = await api('POST', '/groups', { name: 'Kept', path: 'kept' });
    assert.equal(group.status, 201);
    ids.group = group.body.id;
    const project = await api('POST', '/projects', { name: 'kept-project', namespace_id: ids.group });
    assert.equal(project.status, 201);
    ids.project = project.body.id;
    await api('POST', `/projects/${ids.project}/protected_branches`, { name: 'main' });
    await api('POST', `/projects/${ids.project}/environments`, { name: 'production' });

    // A request that is in flight for as long as we like: its headers are sent, its body
    // only after the signal.
    const body = JSON.stringify({ name: 'Drained', path: 'drained' });
    const socket = connect(run.port, '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.setEncoding('utf8').on('data', (c: string) => (response += c));
    socket.write(`POST /api/v4/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: in-flight-at-sigterm\r\nPRIVATE-TOKEN: ${ROOT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 10));
    // The server has the request once it logged it (Fastify logs "incoming request").
    const received = () => run.logs().some((l) => l.reqId === 'in-flight-at-sigterm' && l.msg === 'incoming request');
    while (!received()) await new Promise((r) => setTimeout(r, 20));
    run.proc.kill('SIGTERM');
    while (!run.stdout().includes('shutting down')) await new Promise((r) => setTimeout(r, 20));
    // Shutting down, the server accepts no new connection…
    await assert.rejects(fetch(`${run.url}/-/liveness`), 'no new connections while draining');
    // …but finishes the one in flight.
    socket.write(body.slice(10));
    await once(socket, 'end');
    assert.match(response, /^HTTP\/1\.1 201 /, response);
    assert.match(response, /"full_path":"drained"/);
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stdout(), /kubegate server stopped/);
  });

  it('keeps its data across a restart on the same data dir', async () => {
    run = await startServer({ dataDir, env: { KUBEGATE_ROOT_TOKEN: 'a-different-root-token-is-ignored-now' } });
    const api = apiClient(run.url, ROOT_TOKEN);
    assert.equal((await api('GET', '/user')).status, 200, 'the first root token still works; the new one is only for a first start');
    assert.equal((await api('GET', '/user', undefined, 'a-different-root-token-is-ignored-now')).status, 401);
    const groups = await api('GET', '/groups');
    assert.deepEqual(groups.body.map((g: { full_path: string }) => g.full_path).sort(), ['drained', 'kept']);
    const project = await api('GET', `/projects/${encodeURIComponent('kept/kept-project')}`);
    assert.equal(project.body.id, ids.project);
    assert.deepEqual((await api('GET', `/projects/${ids.project}/protected_branches`)).body.map((b: { name: string }) => b.name), ['main']);
    assert.deepEqual((await api('GET', `/projects/${ids.project}/environments`)).body.map((e: { slug: string }) => e.slug), ['production']);
    assert.ok((await api('GET', '/users')).body.some((u: { username: string }) => u.username === 'logged'));
    assert.equal(await run.stop(), 0);
  });
});

describe('kill -9 during a burst of writes', () => {
  it('restarts on an intact database in which every acknowledged write exists and projects, routes and repositories agree', async (t) => {
    const dataDir = await tempDir();
    let run = await startServer({ dataDir, env: { KUBEGATE_ROOT_TOKEN: ROOT_TOKEN } });
    const api = apiClient(run.url, ROOT_TOKEN);
    const acknowledged = { groups: [] as string[], projects: [] as string[] };
    const unexpected: string[] = [];
    let stop = false;
    let n = 0;
    const client = async (c: number) => {
      while (!stop) {
        const i = n++;
        try {
          const group = await api('POST', '/groups', { name: `Burst ${c}-${i}`, path: `burst-${c}-${i}` });
          if (group.status !== 201) unexpected.push(`group ${group.status} ${JSON.stringify(group.body)}`);
          if (group.status !== 201) continue;
          acknowledged.groups.push(group.body.full_path);
          const project = await api('POST', '/projects', { name: `p-${i}`, namespace_id: group.body.id });
          if (project.status === 201) acknowledged.projects.push(project.body.path_with_namespace);
          else unexpected.push(`project ${project.status} ${JSON.stringify(project.body)}`);
        } catch {
          // the connection died with the server
        }
      }
    };
    const clients = Array.from({ length: 20 }, (_, c) => client(c));
    // Let the burst run until a fair number of writes went through, then kill mid-flight.
    while (acknowledged.projects.length < 40) await new Promise((r) => setTimeout(r, 10));
    run.proc.kill('SIGKILL');
    assert.equal(await run.exited, null);
    stop = true;
    await Promise.all(clients);
    assert.ok(acknowledged.groups.length >= 40);
    assert.deepEqual(unexpected, [], 'every write the server answered before the kill succeeded');

    // The file is a valid database: checked read-only before the server opens it again.
    const file = join(dataDir, 'kubegate.sqlite3');
    const check = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      assert.deepEqual(check.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      check.close();
    }

    run = await startServer({ dataDir, env: { KUBEGATE_ROOT_TOKEN: ROOT_TOKEN } });
    const again = apiClient(run.url, ROOT_TOKEN);
    assert.equal((await fetch(`${run.url}/-/readiness`)).status, 200, 'the database opens and migrations are fine');

    const groups = new Set<string>();
    for (let page = '1'; page; ) {
      const res = await again('GET', `/groups?per_page=100&page=${page}`);
      for (const g of res.body) groups.add(g.full_path);
      page = res.headers.get('x-next-page') ?? '';
    }
    for (const g of acknowledged.groups) assert.ok(groups.has(g), `acknowledged group ${g} exists after the crash`);
    for (const p of acknowledged.projects) assert.equal((await again('GET', `/projects/${encodeURIComponent(p)}`)).status, 200, `acknowledged project ${p} exists`);

    // Consistency, read from the file the server uses.
    const db = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      const projects = db.prepare('SELECT id, full_path FROM projects').all() as Array<{ id: number; full_path: string }>;
      const namespaces = db.prepare('SELECT id, full_path FROM namespaces').all() as Array<{ id: number; full_path: string }>;
      const routes = db.prepare('SELECT path_lower, source_kind, source_id FROM routes').all() as Array<{ path_lower: string; source_kind: string; source_id: number }>;
      const routeOf = new Map(routes.map((r) => [`${r.source_kind}:${r.source_id}`, r.path_lower]));
      for (const p of projects) assert.equal(routeOf.get(`project:${p.id}`), p.full_path.toLowerCase(), `project ${p.full_path} has its route`);
      for (const ns of namespaces) assert.equal(routeOf.get(`namespace:${ns.id}`), ns.full_path.toLowerCase(), `namespace ${ns.full_path} has its route`);
      const ids = new Set([...projects.map((p) => `project:${p.id}`), ...namespaces.map((n) => `namespace:${n.id}`)]);
      for (const r of routes) assert.ok(ids.has(`${r.source_kind}:${r.source_id}`), `route ${r.path_lower} points at something`);
      const repoDir = join(dataDir, 'repositories');
      const repos = existsSync(repoDir) ? (await readdir(repoDir)).filter((d) => d.endsWith('.git')).sort() : [];
      assert.deepEqual(repos, projects.map((p) => `${p.id}.git`).sort(), 'one repository per project, and no repository without a project');
      for (const p of projects) assert.ok(existsSync(join(repoDir, `${p.id}.git`, 'HEAD')), `the repository of ${p.full_path} is a complete bare repository`);
    } finally {
      db.close();
    }

    const swept = run.logs().find((l) => l.msg === 'removed repositories left by an interrupted project creation');
    t.diagnostic(`acknowledged before the kill: ${acknowledged.groups.length} groups, ${acknowledged.projects.length} projects; repositories swept at restart: ${JSON.stringify(swept?.projectIds ?? [])}`);

    // And it takes writes again.
    assert.equal((await again('POST', '/groups', { name: 'After', path: 'after-crash' })).status, 201);
    assert.equal(await run.stop(), 0);
  });
});
