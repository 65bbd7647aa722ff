/**
 * The npm package and what the image contains, without a container engine: the files the
 * Dockerfile's build stage copies are packed with `npm pack` (which must build dist/ at
 * pack time), and the tarball is installed into an empty directory by
 * scripts/install-package.sh — the script the Dockerfile runs — with production
 * dependencies only. The installed `kubegate server` must serve the agent chart, and the
 * installed `kubegate agent` must connect to it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Agent, fetch } from 'undici';
import { extract } from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../helpers/helm.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';
import { apiClient, type ApiClient } from '../helpers/server.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';

const PACKAGE = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean; files: string[]; devDependencies: Record<string, string> };
const DOCKERFILE = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const ROOT_TOKEN = 'kgpat-package-test-root-token-0123';

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The sources the Dockerfile's build stage copies before `npm pack`, e.g. `COPY src ./src`. */
function dockerBuildSources(): string[] {
  const buildStage = DOCKERFILE.split(/^FROM /m)[1]!;
  const beforePack = buildStage.slice(0, buildStage.indexOf('RUN npm pack'));
  return [...beforePack.matchAll(/^COPY (.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
}

async function tarballFiles(tarball: string): Promise<string[]> {
  const names: string[] = [];
  const unpack = extract();
  unpack.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.on('end', next).resume();
  });
  await pipeline(createReadStream(tarball), createGunzip(), unpack);
  return names;
}

describe('the Dockerfile', () => {
  it('builds from the packed package in a build stage and runs kubegate as a numeric non-root user in a slim one', async () => {
    const stages = DOCKERFILE.split(/^FROM /m).slice(1);
    assert.equal(stages.length, 2, 'multi-stage: a build stage and the runtime image');
    const [build, runtime] = stages as [string, string];
    assert.match(build, /^RUN npm pack --pack-destination \/packages$/m);
    assert.match(build, /^RUN scripts\/install-package\.sh \/packages\/kubegate-\*\.tgz \/opt\/kubegate$/m);
    assert.match(runtime, /^node:\$\{NODE_VERSION\}-bookworm-slim$/m);
    assert.deepEqual([...runtime.matchAll(/^COPY (.+)$/gm)].map((m) => m[1]), ['--from=build /opt/kubegate /opt/kubegate'], 'the runtime image gets the installed package only');
    assert.match(runtime, /^USER 1000:1000$/m);
    assert.match(runtime, /^ENTRYPOINT \["kubegate"\]$/m);
    const ignore = await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8');
    for (const path of ['node_modules', 'dist', 'data', '.tools', '.git']) assert.match(ignore, new RegExp(`^${path.replace('.', '\\.')}$`, 'm'));
  });

  it("is the image the agent chart runs by default", async () => {
    const values = parseYaml(await readFile(join(REPO_ROOT, 'charts/kubegate-agent/values.yaml'), 'utf8')) as { image: { repository: string } };
    assert.match(DOCKERFILE, new RegExp(`docker build -t ${values.image.repository}:`));
  });
});

describe('the npm package, installed as the Dockerfile installs it', () => {
  let work: string;
  let tarball: string;
  let prefix: string;
  let sim: KubeApiSimulator;
  let server: ChildProcess | undefined;
  let agent: AgentProcess | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kubegate-package-'));
    const source = join(work, 'src');
    for (const path of dockerBuildSources()) await cp(join(REPO_ROOT, path), join(source, path), { recursive: true });
    // The Dockerfile runs `npm ci` first; the repository's node_modules stand for it.
    await symlink(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'));
    assert.ok(!existsSync(join(source, 'dist')), 'no dist/ before packing');
    const packed = await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: source });
    assert.equal(packed.code, 0, packed.stderr);
    tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
    prefix = join(work, 'installed');
    const installed = await run('sh', [join(REPO_ROOT, 'scripts/install-package.sh'), tarball, prefix], { cwd: work });
    assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
    sim = await startKubeApiServer();
    // npm installs ~170 packages and compiles better-sqlite3: minutes on a busy machine.
  }, { timeout: 900_000 });

  after(async () => {
    await agent?.stop();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await sim?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is publishable: not private, a files list, dist/ built at pack time, no sources or tests', async () => {
    assert.notEqual(PACKAGE.private, true);
    assert.ok(Array.isArray(PACKAGE.files));
    const files = await tarballFiles(tarball);
    for (const required of ['package/package.json', 'package/bin/kubegate.js', 'package/dist/cli/main.js', 'package/dist/server/main.js', 'package/dist/agent/main.js', 'package/charts/kubegate-agent/Chart.yaml', 'package/charts/kubegate-agent/templates/deployment.yaml']) {
      assert.ok(files.includes(required), `${required} is in the package`);
    }
    assert.deepEqual(files.filter((f) => /^package\/(src|test|bench|docs|scripts|node_modules)\//.test(f) || f.endsWith('.test.js') || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
  });

  it('installs production dependencies only', async () => {
    const modules = await readdir(join(prefix, 'node_modules'));
    // @types/node also comes with a production dependency (@kubernetes/client-node).
    for (const dev of Object.keys(PACKAGE.devDependencies).filter((d) => d !== '@types/node')) {
      assert.ok(!existsSync(join(prefix, 'node_modules', dev)), `the dev dependency ${dev} is not installed`);
    }
    for (const dep of ['fastify', 'better-sqlite3', 'ws', 'tar-stream', 'kubegate']) assert.ok(modules.includes(dep), `${dep} is installed`);
    const version = await run(join(prefix, 'node_modules/.bin/kubegate'), ['--version'], { cwd: work });
    assert.equal(version.stdout.trim(), PACKAGE.version);
  });

  it('the installed `kubegate server` serves its chart repository, and the installed `kubegate agent` connects to it', async () => {
    const dataDir = join(work, 'data');
    server = spawn(join(prefix, 'node_modules/.bin/kubegate'), ['server', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, KUBEGATE_ROOT_TOKEN: ROOT_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.includes('kubegate server listening'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      server!.once('exit', (code) => reject(new Error(`the installed server exited (${code}): ${out}`)));
    });
    // Whether the server's default is HTTPS with its own CA or plain HTTP, trust what it serves.
    const caFile = join(dataDir, 'tls', 'ca.pem');
    const ca = url.startsWith('https:') ? await readFile(caFile, 'utf8') : undefined;
    const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;

    const index = await fetch(`${url}/-/charts/index.yaml`, dispatcher ? { dispatcher } : {});
    assert.equal(index.status, 200);
    const entry = (parseYaml(await index.text()) as { entries: Record<string, Array<{ version: string; urls: string[] }>> }).entries['kubegate-agent']![0]!;
    assert.equal(entry.version, PACKAGE.version);
    const chart = await fetch(`${url}/-/charts/${entry.urls[0]}`, dispatcher ? { dispatcher } : {});
    assert.equal(chart.status, 200);

    const api: ApiClient = apiClient(url, ROOT_TOKEN, ca);
    const project = await api('POST', '/projects', { name: 'clusters' });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const registered = await api('POST', `/projects/${project.body.id}/cluster_agents`, { name: 'packaged' });
    const token = await api('POST', `/projects/${project.body.id}/cluster_agents/${registered.body.id}/tokens`, { name: 't' });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    agent = await startAgent({
      serverUrl: url,
      token: token.body.token,
      sim,
      podName: 'packaged-pod',
      command: [join(prefix, 'node_modules/kubegate/bin/kubegate.js')],
      ...(ca ? { caCertFile: caFile } : {}),
    });
    await eventually(async () => {
      const r = await api('GET', `/projects/${project.body.id}/cluster_agents/${registered.body.id}`);
      return r.body.connections?.length === 1 ? true : undefined;
    }, 30_000, 'the installed agent connected');
    assert.equal(await agent.stop(), 0);
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server!.once('exit', (c) => resolve(c)));
    assert.equal(code, 0);
  });
});
