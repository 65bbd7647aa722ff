/**
 * The UI ships in the package: `npm pack` carries the built `web/dist`, and a server run
 * from the unpacked package (not this checkout) serves it at `/`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureWebBuilt } from '../helpers/browser.js';
import { eventually } from '../helpers/agent.js';
import { Agent, fetch } from 'undici';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../..');
const ROOT_TOKEN = 'kgpat-package-test-root-token-0123';
/** The server may run HTTPS with a CA it generates; what is tested here is the files it serves, not its certificate. */
const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });

test('the packed package serves the built UI from its own files', async () => {
  ensureWebBuilt();
  assert.ok(existsSync(join(REPO, 'dist/cli/main.js')), 'the server is built (npm run build)');
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-pack-'));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // --ignore-scripts: pack what is built now, without rebuilding in the middle of a test run.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    assert.ok(files.includes('web/dist/index.html'), 'index.html is in the package');
    assert.ok(files.some((f) => /^web\/dist\/assets\/index-[\w-]+\.js$/.test(f)), 'the hashed script is in the package');
    assert.ok(!files.some((f) => f.startsWith('web/src/')), 'the UI sources are not');
    await run('tar', ['-xzf', join(dir, packed!.filename), '-C', dir]);
    const pkg = join(dir, 'package');
    // The dependencies, as `npm install` of the tarball would provide them.
    await symlink(join(REPO, 'node_modules'), join(pkg, 'node_modules'), 'dir');

    child = spawn(process.execPath, [join(pkg, 'bin/kubegate.js'), 'server', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'data')], {
      env: { PATH: process.env.PATH, HOME: dir, KUBEGATE_ROOT_TOKEN: ROOT_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const url = await eventually(async () => /"url":"(https?:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1], 20_000, 'the packed server listening').catch((err: Error) => {
      throw new Error(`${err.message}; its output:\n${out}`);
    });
    const page = await fetch(`${url}/platform/clusters/-/clusters`, { dispatcher });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.equal(html, await readFile(join(pkg, 'web/dist/index.html'), 'utf8'));
    const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${url}${script}`, { dispatcher });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
});
