/**
 * The README's first session, run as written: every `sh` block of its "A first session"
 * section, in order, in one bash, from a scratch copy of the repository (symlinks), with
 * the real binary (`npx kubegate`, built by `npm run build`), `curl`, `git` and `kubectl`.
 * Only the port changes (tests never bind fixed ports): `127.0.0.1:8080` in the text, and
 * KUBEGATE_LISTEN for the server's default. So the README cannot drift from the product.
 *
 * `npx kubegate` runs the repository's own bin only from the repository itself (npm
 * installs the "local package" into its npx cache, which fails from a scratch copy and
 * would then ask the registry): an `npx` first on PATH runs `bin/kubegate.js` for
 * `kubegate` and hands anything else to the real npx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function missing(): string | false {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) return 'dist/ is not built: run `npm run build` (npm test does it)';
  for (const tool of [KUBECTL, '/usr/bin/curl', '/usr/bin/git']) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return false;
}

/** The `sh` blocks of the README's "A first session" section, in order. */
export function firstSessionScript(readme: string): string {
  const start = readme.indexOf('\n## A first session');
  assert.ok(start >= 0, 'README.md has a "## A first session" section');
  const rest = readme.slice(start + 1);
  const end = rest.indexOf('\n## ', 3);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 4, 'the first session has its commands in sh blocks');
  return blocks.join('\n');
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

const reason = missing();
// On CI nothing may skip: a missing tool there is a broken machine.
const skip = reason && !process.env.CI ? reason : false;

test('the README\'s first session runs as written, from a server with no TLS flags to kubectl get pods through the agent', { skip, timeout: 240_000 }, async () => {
  if (reason) assert.fail(`CI: ${reason}`);
  const work = await mkdtemp(join(tmpdir(), 'kubegate-readme-'));
  try {
    for (const entry of ['node_modules', 'bin', 'dist', 'src', 'test', 'tsconfig.json']) await symlink(join(ROOT, entry), join(work, entry));
    // A copy: npm run reads the scripts from the directory it runs in.
    await copyFile(join(ROOT, 'package.json'), join(work, 'package.json'));
    const shims = join(work, '.shims');
    await mkdir(shims);
    const realNpx = process.env.NPX ?? join(dirname(process.execPath), 'npx');
    await writeFile(join(shims, 'npx'), `#!/bin/sh\nif [ "$1" = kubegate ]; then shift; exec "${process.execPath}" "${join(ROOT, 'bin/kubegate.js')}" "$@"; fi\nexec "${realNpx}" "$@"\n`, { mode: 0o755 });
    const port = await freePort();
    const script = firstSessionScript(readFileSync(join(ROOT, 'README.md'), 'utf8')).replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(KUBEGATE_|KUBECONFIG$|CI_JOB_TOKEN$|GIT_|CURL_)/.test(k)) env[k] = v;
    Object.assign(env, { PATH: `${shims}:${process.env.PATH}`, HOME: work, KUBEGATE_LISTEN: `127.0.0.1:${port}`, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' });
    // Background jobs (cluster, server, agent) end with the shell.
    const wrapped = `set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n${script}`;
    const child = spawn('bash', ['-c', wrapped], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((res) => child.once('close', res));
    const logs = async (name: string) => readFile(join(work, name), 'utf8').catch(() => '(none)');
    const context = `stdout:\n${out}\nstderr:\n${err}\nserver.log:\n${await logs('server.log')}\nagent.log:\n${await logs('agent.log')}`;
    assert.equal(code, 0, context);
    assert.match(out, /^platform\/clusters:dev$/m, context);
    assert.match(out, /^NAME\s+READY\s+STATUS[\s\S]*^hello\s/m, context);
    assert.doesNotMatch(err, /certificate|x509|Unauthorized/i, context);
    // The server started with no TLS flags, printed its CA's fingerprint and kept the root token.
    const serverLog = await logs('server.log');
    assert.match(serverLog, /CA fingerprint \(SHA-256\): [0-9A-F]{2}(:[0-9A-F]{2}){31}/);
    assert.match(await logs('agent.log'), /trusting the server's private CA/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
