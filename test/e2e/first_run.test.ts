/**
 * The first run of the real binary (`bin/kubegate.js`), as a new user meets it: HTTPS
 * with no TLS flags (its own CA, reused across restarts, fetchable and fingerprinted),
 * `--no-tls` (the warning, then kubectl's 401), the root token created only once the
 * server listens, and start-up errors that name the flag and the way out, with no stack
 * trace.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { apiClient } from '../helpers/server.js';
import { pushFiles } from '../helpers/git.js';
import { createKubectlEnv, kubectl } from '../kube-apiserver/testing/kubectl.js';
import { ensureGeneratedTls } from '../../src/server/tls/generated.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kubegate.js');
const skip = existsSync(join(ROOT, 'dist/cli/main.js')) ? false : 'dist/ is not built: run `npm run build` (npm test does it)';
const TOKEN = 'kgpat-first-run-root-token-0123456789';

const dirs: string[] = [];
const procs: ChildProcess[] = [];
after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kubegate-first-run-'));
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

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBEGATE_')) env[k] = v;
  return { ...env, ...extra };
}

interface Run {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Runs `kubegate server ARGS`; resolves once it listens, or once it exited. */
async function server(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const proc = spawn(process.execPath, [BIN, 'server', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const listening = new Promise<void>((res) => {
    const check = () => {
      if (out.includes('kubegate server listening')) res();
    };
    proc.stdout!.on('data', check);
  });
  await Promise.race([listening, exited]);
  return { proc, stdout: () => out, stderr: () => err, exited };
}

async function stop(run: Run): Promise<number | null> {
  run.proc.kill('SIGTERM');
  return run.exited;
}

describe('HTTPS with no TLS flags', { skip }, () => {
  it('generates a CA in <data-dir>/tls/, serves it at /-/tls/ca.pem with the fingerprint it prints, and reuses it after a restart', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const first = await server(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], { KUBEGATE_ROOT_TOKEN: TOKEN });
    assert.ok(first.stdout().includes('kubegate server listening'), first.stderr());
    const caPem = await readFile(join(dataDir, 'tls/ca.pem'), 'utf8');
    const ca = new X509Certificate(caPem);
    assert.ok(ca.ca, 'ca.pem is a CA certificate');
    assert.ok(first.stderr().includes(`CA fingerprint (SHA-256): ${ca.fingerprint256}`), first.stderr());
    for (const key of ['tls/ca-key.pem', 'tls/server-key.pem']) assert.equal((await stat(join(dataDir, key))).mode & 0o777, 0o600, key);
    // What a user does: fetch it without checking (curl -k), compare the fingerprint.
    const fetched = await undiciFetch(`https://127.0.0.1:${port}/-/tls/ca.pem`, { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), caPem);
    // The served certificate is issued by it and names every address a client may use.
    const trusting = new Agent({ connect: { ca: caPem } });
    for (const host of ['127.0.0.1', 'localhost']) {
      const res = await undiciFetch(`https://${host}:${port}/-/readiness`, { dispatcher: trusting });
      assert.equal(res.status, 200, host);
    }
    const serving = new X509Certificate(await readFile(join(dataDir, 'tls/server.pem'), 'utf8'));
    assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
    for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) assert.ok(serving.subjectAltName?.includes(name), `${name} in ${serving.subjectAltName}`);
    const api = apiClient(`https://127.0.0.1:${port}`, TOKEN, caPem);
    assert.equal((await api('GET', '/user')).body.username, 'root');
    assert.equal(await stop(first), 0);

    const second = await server(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
    assert.equal(await readFile(join(dataDir, 'tls/ca.pem'), 'utf8'), caPem, 'the CA is kept');
    assert.equal(new X509Certificate(await readFile(join(dataDir, 'tls/server.pem'), 'utf8')).serialNumber, serving.serialNumber, 'and so is a serving certificate that is not due');
    assert.equal((await undiciFetch(`https://127.0.0.1:${port}/-/readiness`, { dispatcher: trusting })).status, 200);
    assert.equal(await stop(second), 0);
  });

  it('a generated root token is created once listening, printed once and kept in initial_root_token (0600)', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    // First attempt: the port is taken. Nothing is created, nothing is printed.
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(port, '127.0.0.1', res));
    const failed = await server(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
    assert.equal(await failed.exited, 2);
    assert.match(failed.stderr(), new RegExp(`kubegate: --listen 127\\.0\\.0\\.1:${port}: the port is already in use .*choose another port with --listen HOST:PORT \\(KUBEGATE_LISTEN\\)`));
    assert.doesNotMatch(failed.stderr(), /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(failed.stderr(), /kgpat-/, 'no token was made, so none was printed and lost');
    assert.ok(!existsSync(join(dataDir, 'initial_root_token')));
    await new Promise((res) => blocker.close(res));

    const run = await server(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
    const printed = /^\s+(kgpat-[A-Za-z0-9]{32})\s*$/m.exec(run.stderr())?.[1];
    assert.ok(printed, run.stderr());
    const file = join(dataDir, 'initial_root_token');
    assert.equal((await readFile(file, 'utf8')).trim(), printed);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(run.stderr(), /copy it somewhere safe, then delete that file/);
    assert.ok(!run.stdout().includes(printed), 'never in the logs');
    assert.equal(await stop(run), 0);
  });
});

describe('--no-tls', { skip }, () => {
  it('warns at start that kubectl sends no credentials over http://, and kubectl then gets 401', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const run = await server(['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--no-tls'], { KUBEGATE_ROOT_TOKEN: TOKEN });
    assert.match(run.stderr(), /WARNING: the external URL is http:\/\/127\.0\.0\.1:\d+ \(plain HTTP, --no-tls\)\.\nkubectl sends no credentials over plain HTTP: CI jobs using this URL will get 401/);
    assert.ok(run.stdout().split('\n').some((l) => l.includes('"level":40') && l.includes('kubectl sends no credentials over http://')), 'and logs it');
    assert.ok(!existsSync(join(dataDir, 'tls')), 'no certificate is generated');
    const api = apiClient(`http://127.0.0.1:${port}`, TOKEN);
    const group = await api('POST', '/groups', { name: 'Acme', path: 'acme' });
    const project = await api('POST', '/projects', { name: 'clusters', namespace_id: group.body.id });
    assert.equal((await api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'prod' })).status, 201);
    const base = `http://127.0.0.1:${port}`;
    await pushFiles({ url: base, rootToken: TOKEN, api, fetch: (path, init) => fetch(`${base}${path}`, init as RequestInit) as never }, 'acme/clusters', { 'README.md': 'x' });
    const job = await api('POST', `/projects/${project.body.id}/jobs`, { ref: 'main' });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    const kubeconfig = await fetch(`http://127.0.0.1:${port}/api/v4/job/kubeconfig`, { headers: { 'JOB-TOKEN': job.body.token } });
    const kenv = await createKubectlEnv({ server: 'https://unused', caCert: '', token: 'unused' });
    try {
      await writeFile(kenv.kubeconfig, await kubeconfig.text());
      const r = await kubectl(kenv, ['--context', 'acme/clusters:prod', 'get', 'pods']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /You must be logged in to the server/, r.stderr);
    } finally {
      await kenv.cleanup();
    }
    assert.equal(await stop(run), 0);
  });
});

describe('start-up errors name the flag and the way out, with no stack trace', { skip }, () => {
  async function refused(args: string[], env: Record<string, string> = {}): Promise<string> {
    const run = await server(args, env);
    assert.equal(await run.exited, 2, run.stderr());
    assert.doesNotMatch(run.stderr(), /^\s+at /m, `no stack trace:\n${run.stderr()}`);
    return run.stderr();
  }

  it('a TLS file that is missing', async () => {
    const dataDir = await tempDir();
    const stderr = await refused(['--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir, '--tls-cert', '/nonexistent/chain.pem', '--tls-key', '/nonexistent/key.pem']);
    assert.match(stderr, /kubegate: --tls-cert \/nonexistent\/chain\.pem: no such file; give the path of your certificate chain .*or leave out --tls-cert and --tls-key to use a certificate the server generates/);
  });

  it('a key that does not match its certificate', async () => {
    const dataDir = await tempDir();
    const one = await ensureGeneratedTls(await tempDir(), ['localhost']);
    const other = await ensureGeneratedTls(await tempDir(), ['localhost']);
    await writeFile(join(dataDir, 'chain.pem'), one.chainPem);
    await writeFile(join(dataDir, 'key.pem'), other.keyPem, { mode: 0o600 });
    const stderr = await refused(['--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir, '--tls-cert', join(dataDir, 'chain.pem'), '--tls-key', join(dataDir, 'key.pem')]);
    assert.match(stderr, /kubegate: --tls-key \S+key\.pem does not match the certificate in --tls-cert \S+chain\.pem .*give the key of that certificate/);
  });

  it('--no-tls together with a certificate', async () => {
    const stderr = await refused(['--no-tls', '--tls-cert', 'a.pem', '--tls-key', 'b.pem', '--data-dir', await tempDir()]);
    assert.match(stderr, /--no-tls and --tls-cert\/--tls-key contradict each other/);
  });

  it('a data dir that cannot be written', async () => {
    const base = await tempDir();
    await writeFile(join(base, 'a-file'), '');
    const stderr = await refused(['--listen', `127.0.0.1:${await freePort()}`, '--data-dir', join(base, 'a-file', 'data')]);
    assert.match(stderr, /kubegate: --data-dir \S+a-file\/data: cannot write there \(a file is in the way\); give a directory the user running kubegate may write \(--data-dir or KUBEGATE_DATA_DIR\)/);
  });

  it('a database URL that cannot be reached (its password not shown)', async () => {
    const port = await freePort();
    const stderr = await refused(['--listen', `127.0.0.1:${await freePort()}`, '--data-dir', await tempDir(), '--database-url', `postgres://kubegate:hunter2secret@127.0.0.1:${port}/kubegate`]);
    assert.match(stderr, new RegExp(`kubegate: --database-url postgres://kubegate:\\*\\*\\*@127\\.0\\.0\\.1:${port}/kubegate: cannot connect \\(.*ECONNREFUSED.*\\); check the host, port, user, password and database name`));
    assert.ok(!stderr.includes('hunter2secret'));
  });

  it('KUBEGATE_NO_TLS that is not a boolean', () => {
    const r = spawnSync(process.execPath, [BIN, 'server'], { env: cleanEnv({ KUBEGATE_NO_TLS: 'maybe' }), encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /KUBEGATE_NO_TLS must be true or false, not "maybe"/);
  });
});
