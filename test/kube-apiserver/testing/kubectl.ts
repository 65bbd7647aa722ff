// Helpers to drive the real kubectl against a simulator: a kubeconfig in a
// temp dir, an isolated HOME (no discovery cache shared between tests), and
// runners with timeouts. Usable by e2e tests too.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface KubeconfigOptions {
  server: string;
  caCert: string;
  token: string;
  namespace?: string;
  /** Written as the user's as / as-uid / as-groups / as-user-extra (what --as* flags set). */
  impersonate?: { user: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

export interface KubectlEnv {
  dir: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export function kubeconfigYaml(options: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sim', cluster: { server: options.server, 'certificate-authority-data': Buffer.from(options.caCert).toString('base64') } }],
    users: [{ name: 'sim-user', user: { token: options.token, ...impersonation(options.impersonate) } }],
    contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim-user', ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': 'sim',
  });
}

function impersonation(i: KubeconfigOptions['impersonate']): Record<string, unknown> {
  if (!i) return {};
  const out: Record<string, unknown> = { as: i.user };
  if (i.uid) out['as-uid'] = i.uid;
  if (i.groups) out['as-groups'] = i.groups;
  if (i.extra) out['as-user-extra'] = i.extra;
  return out;
}

/** A temp dir with a kubeconfig and HOME; call cleanup() when done. */
export async function createKubectlEnv(options: KubeconfigOptions, extraEnv: NodeJS.ProcessEnv = {}): Promise<KubectlEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'kubectl-sim-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml(options), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), ...extraEnv };
  return { dir, kubeconfig, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs kubectl to completion (killed after timeoutMs, default 20 s). */
export function kubectl(kenv: KubectlEnv, args: string[], options: RunOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { env: { ...kenv.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** A long-running kubectl (watch, logs -f, port-forward) with helpers to wait for output. */
export interface KubectlProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnKubectl(kenv: KubectlEnv, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): KubectlProcess {
  const child = spawn(KUBECTL, args, { env: { ...kenv.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern) ?? err.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null) {
            done();
            reject(new Error(`kubectl exited (${child.exitCode}) before ${pattern}; stdout=${out} stderr=${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}; stdout=${out} stderr=${err}`));
        }, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(check);
        }
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
