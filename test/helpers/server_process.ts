/**
 * Runs `kubegate server` as a real process (the CLI through tsx) over HTTPS with a private
 * test CA, for tests that need what only a process shows: signals, its own umask, its
 * stdout. The handle fits the helpers that take a `ServerHandle` (projects, pushes, jobs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { getTlsMaterial } from '../kube-apiserver/api/certs.js';
import { apiClient, type ServerHandle } from './server.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const PROCESS_ROOT_TOKEN = 'kgpat-process-root-token-0123456789';

export interface ServerProcess extends ServerHandle {
  proc: ChildProcess;
  port: number;
  dataDir: string;
  /** Everything the process wrote to stdout (its JSON log) and stderr, so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Sends the signal; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface ServerProcessOptions {
  /** Reuse a data dir (restarts); default a new temporary one under `parentDir`. */
  dataDir?: string;
  /** Where a new data dir is made (default the system temp dir). */
  parentDir?: string;
  env?: Record<string, string>;
  /** The umask the process starts with (default: the test process's). */
  umask?: number;
  /** Reuse the port of a previous run (restarts keep URLs in kubeconfigs valid). */
  port?: number;
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
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBEGATE_')) env[k] = v;
  return { ...env, ...extra };
}

export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(options.parentDir ?? tmpdir(), 'kubegate-proc-')));
  const tlsDir = `${dataDir}-tls`;
  await mkdir(tlsDir, { recursive: true });
  const material = await getTlsMaterial();
  await writeFile(join(tlsDir, 'chain.pem'), `${material.cert.trim()}\n${material.caCert.trim()}\n`);
  await writeFile(join(tlsDir, 'key.pem'), material.key, { mode: 0o600 });
  const caCertFile = join(tlsDir, 'ca.pem');
  await writeFile(caCertFile, material.caCert);
  const port = options.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--tls-cert', join(tlsDir, 'chain.pem'), '--tls-key', join(tlsDir, 'key.pem'), '--external-url', url];
  const node = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'server', ...args];
  // A umask is a property of the process: set it in a shell that then becomes the server.
  const command = options.umask === undefined ? node : ['/bin/sh', '-c', `umask ${options.umask.toString(8).padStart(3, '0')} && exec "$@"`, 'sh', ...node];
  const proc = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: cleanEnv({ KUBEGATE_ROOT_TOKEN: PROCESS_ROOT_TOKEN, ...options.env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const outWaiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const w of [...outWaiters]) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const dispatcher = new Agent({ connect: { ca: material.caCert } });
  const handle: ServerProcess = {
    proc,
    port,
    dataDir,
    url,
    rootToken: PROCESS_ROOT_TOKEN,
    caCert: material.caCert,
    caCertFile,
    api: apiClient(url, PROCESS_ROOT_TOKEN, material.caCert),
    fetch: (path, init) => undiciFetch(`${url}${path}`, { ...init, dispatcher }),
    stdout: () => out,
    stderr: () => err,
    waitForOutput(text, timeoutMs = 30_000) {
      return new Promise((res, rej) => {
        const check = (): void => {
          if (!out.includes(text)) return;
          outWaiters.delete(check);
          clearTimeout(timer);
          res();
        };
        const timer = setTimeout(() => {
          outWaiters.delete(check);
          rej(new Error(`"${text}" not in the server's output within ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        outWaiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    exited,
  };
  const up = await Promise.race([handle.waitForOutput('kubegate server listening', 60_000).then(() => 'up' as const), exited.then(() => 'exited' as const)]);
  if (up === 'exited') throw new Error(`the server exited before listening:\n${err}\n${out}`);
  return handle;
}
