/**
 * The installed binary (`bin/kubegate.js`, built by `npm ci` through `prepare`): what
 * `npx kubegate …` and `npm start` run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/kubegate.js');
const built = existsSync(join(import.meta.dirname, '../../dist/cli/main.js'));
const skip = built ? false : 'dist/ is not built: run `npm run build` (npm ci and npm test do it)';

function kubegate(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

test('kubegate --help lists the commands', { skip }, () => {
  const out = kubegate(['--help']);
  assert.equal(out.status, 0, out.stderr);
  for (const command of ['server', 'agent']) assert.match(out.stdout, new RegExp(`\\b${command}\\b`));
});

test('kubegate server --help lists every flag with its variable', { skip }, () => {
  const out = kubegate(['server', '--help']);
  assert.equal(out.status, 0, out.stderr);
  for (const [flag, env] of [['--no-tls', 'KUBEGATE_NO_TLS'], ['--listen', 'KUBEGATE_LISTEN'], ['--external-url', 'KUBEGATE_EXTERNAL_URL'], ['--data-dir', 'KUBEGATE_DATA_DIR'], ['--database-url', 'KUBEGATE_DATABASE_URL'], ['--redis-url', 'KUBEGATE_REDIS_URL'], ['--tls-cert', 'KUBEGATE_TLS_CERT'], ['--tls-key', 'KUBEGATE_TLS_KEY']]) {
    assert.match(out.stdout, new RegExp(`${flag}[\\s\\S]*?${env}`), flag);
  }
  assert.match(out.stdout, /KUBEGATE_ROOT_TOKEN/);
});

test('kubegate agent --help lists every flag with its variable', { skip }, () => {
  const out = kubegate(['agent', '--help']);
  assert.equal(out.status, 0, out.stderr);
  for (const flag of ['--kas-address', '--token-file', '--kas-ca-cert-file', '--kubeconfig', '--observability-listen']) assert.match(out.stdout, new RegExp(flag));
  for (const env of ['KUBEGATE_KAS_ADDRESS', 'KUBEGATE_AGENT_TOKEN', 'KUBEGATE_KAS_CA_CERT_FILE', 'KUBECONFIG', 'KUBEGATE_OBSERVABILITY_LISTEN', 'POD_NAME', 'HTTPS_PROXY']) assert.match(out.stdout, new RegExp(env));
});

test('bad flags are refused with a message that names them', { skip }, () => {
  const out = kubegate(['server', '--listen', '8080']);
  assert.notEqual(out.status, 0);
  assert.match(out.stderr, /--listen must be HOST:PORT/);
  const agent = kubegate(['agent'], {});
  assert.notEqual(agent.status, 0);
  assert.match(agent.stderr, /--kas-address is required/);
});

test('the built server starts on embedded defaults, is ready, and exits 0 on SIGTERM', { skip }, async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'kubegate-cli-'));
  const child = spawn(process.execPath, [BIN, 'server'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBEGATE_LISTEN: `127.0.0.1:${port}`, KUBEGATE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 20_000;
    let ready = false;
    // HTTPS by default, with the CA the server generated in the data dir.
    while (!ready && Date.now() < deadline) {
      const ca = await readFile(join(dataDir, 'tls', 'ca.pem'), 'utf8').catch(() => undefined);
      const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;
      ready = dispatcher ? await undiciFetch(`https://127.0.0.1:${port}/-/readiness`, { dispatcher }).then((r) => r.status === 200, () => false) : false;
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ready, `server not ready: ${stderr}`);
    const dispatcher = new Agent({ connect: { ca: await readFile(join(dataDir, 'tls', 'ca.pem'), 'utf8') } });
    assert.ok(existsSync(join(dataDir, 'kubegate.sqlite3')), 'SQLite database in the data dir');
    const token = /kgpat-[A-Za-z0-9]{32}/.exec(stderr)?.[0];
    assert.ok(token, 'the generated root token is printed once');
    assert.equal((await readFile(join(dataDir, 'initial_root_token'), 'utf8')).trim(), token, 'and kept in the data dir');
    const me = await undiciFetch(`https://127.0.0.1:${port}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': token }, dispatcher });
    assert.equal((await me.json() as { username: string }).username, 'root');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});
