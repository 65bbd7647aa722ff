/**
 * Runs the real `kubegate agent` process (through tsx, no build needed) against a test
 * server and the Kubernetes API simulator, collecting its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubeconfigYaml } from '../kube-apiserver/testing/kubectl.js';

export const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

export interface AgentProcess {
  child: ChildProcess;
  logs: Array<Record<string, any>>;
  /** Resolves with the first log line that `match` accepts (rejects after `timeoutMs`). */
  waitForLog(match: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  stop(): Promise<number | null>;
}

export interface AgentOptions {
  serverUrl: string;
  token: string;
  sim: KubeApiSimulator;
  podName?: string;
  /** The server's CA file, for wss:// with a private CA. */
  caCertFile?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** How to run `kubegate` (Node arguments before `agent`); default the sources through tsx. */
  command?: string[];
}

/** A kubeconfig for the agent's ServiceAccount in the simulator. */
export async function agentKubeconfig(sim: KubeApiSimulator): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-agent-'));
  const file = join(dir, 'kubeconfig');
  const token = sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
  await writeFile(file, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token }), { mode: 0o600 });
  return file;
}

export async function startAgent(options: AgentOptions): Promise<AgentProcess> {
  const kubeconfig = await agentKubeconfig(options.sim);
  const kas = `${options.serverUrl.replace(/^http/, 'ws')}/-/kubernetes-agent/`;
  const child = spawn(process.execPath, [...(options.command ?? ['--import', 'tsx', CLI]), 'agent', '--kas-address', kas, '--kubeconfig', kubeconfig, ...(options.caCertFile ? ['--kas-ca-cert-file', options.caCertFile] : []), ...(options.extraArgs ?? [])], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBEGATE_AGENT_TOKEN: options.token,
      POD_NAME: options.podName ?? 'agent-pod-1',
      POD_NAMESPACE: 'gitlab-agent',
      KUBEGATE_LOG_LEVEL: 'debug',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchAgentProcess(child);
}

/** Collects the JSON log lines of a running `kubegate agent` (stdout) and its stderr. */
export function watchAgentProcess(child: ChildProcess): AgentProcess {
  const logs: Array<Record<string, any>> = [];
  const waiters = new Set<{ match: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }>();
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      let parsed: Record<string, any>;
      try {
        parsed = JSON.parse(line) as Record<string, any>;
      } catch {
        parsed = { msg: line, unparsed: true };
      }
      logs.push(parsed);
      for (const w of waiters) {
        if (!w.match(parsed)) continue;
        waiters.delete(w);
        w.resolve(parsed);
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    waitForLog(match, timeoutMs = 20_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (l: Record<string, any>) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`agent log line not seen within ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls `check` until it returns a value other than undefined (rejects after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
