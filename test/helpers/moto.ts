/**
 * A throwaway AWS emulator for tests: `moto_server` (Python moto) on a free loopback port,
 * one per test process. Without moto the EKS tests skip with `MOTO_MISSING`; on CI
 * (`CI=true`) a missing moto is a broken machine and `startMoto` throws.
 *
 * AWS's managed policies (AmazonEKSClusterPolicy…) are loaded, as they exist in every account.
 * moto enforces IAM (signatures, identity policies, role trust policies with
 * `sts:ExternalId`) once `enforceIam(true)` is called: what runs before seeds the world.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export const MOTO_MISSING = 'moto_server is not installed (the AWS emulator the EKS tests drive; `pip install "moto[server]"`, .ci/run checks for it)';
export const MOTO_ACCOUNT_ID = '123456789012';
const START_TIMEOUT_MS = 30_000;

export interface Moto {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Turns IAM enforcement on (every later call is authenticated and authorized) or off. */
  enforceIam(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

export function motoCommand(): string | undefined {
  const bin = process.env.MOTO_SERVER ?? 'moto_server';
  return spawnSync(bin, ['--help'], { stdio: 'ignore' }).status === 0 ? bin : undefined;
}

export async function startMoto(): Promise<Moto | undefined> {
  const bin = motoCommand();
  if (!bin) {
    if (process.env.CI) throw new Error(`CI: ${MOTO_MISSING}`);
    return undefined;
  }
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = await listeningUrl(child);
  const post = async (path: string, body: string) => {
    // text/plain: moto reads the raw body only for that content type.
    const res = await motoRequest(url, 'POST', path, body, { 'content-type': 'text/plain' });
    if (res.status !== 200) throw new Error(`moto ${path}: ${res.status} ${res.body}`);
  };
  return {
    url,
    enforceIam: (on) => post('/moto-api/reset-auth', on ? '0' : 'inf'),
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * One connection per request: moto's development server closes connections at will, and
 * a pooled keep-alive socket it closed would fail the next request ("other side closed").
 */
export function motoRequest(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`moto_server did not start within ${START_TIMEOUT_MS / 1000} s: ${output}`)), START_TIMEOUT_MS);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        // Keep draining its log so that a full pipe never blocks it.
        child.stdout?.removeListener('data', onData);
        child.stderr?.removeListener('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`moto_server exited (${code}) before listening: ${output}`)));
  });
}
