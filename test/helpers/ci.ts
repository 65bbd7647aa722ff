/**
 * A whole CI/CD access setup for end-to-end tests: the Kubernetes API simulator, a
 * Kubegate server, a registered agent (process running, its ServiceAccount bound to
 * cluster-admin so that only impersonation narrows rights), and helpers to create jobs
 * and run the real kubectl with a job's kubeconfig.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startTestServer, type ApiClient, type ServerHandle, type TestServer } from './server.js';
import { eventually, startAgent, type AgentProcess } from './agent.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import type { KubectlEnv } from '../kube-apiserver/testing/kubectl.js';
import { ensureBranch, pushFiles } from './git.js';

export interface CiFixture {
  sim: KubeApiSimulator;
  server: TestServer;
  agents: AgentProcess[];
  close(): Promise<void>;
}

/** Binds the agent's ServiceAccount (gitlab-agent/gitlab-agent) to cluster-admin. */
export function bindAgentClusterAdmin(sim: KubeApiSimulator): void {
  sim.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'gitlab-agent-cluster-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'gitlab-agent', namespace: 'gitlab-agent' }],
  });
}

export async function startCiFixture(): Promise<CiFixture> {
  const sim = await startKubeApiServer({ podLogIntervalMs: 200 });
  bindAgentClusterAdmin(sim);
  // kubectl sends credentials only over HTTPS, so the server runs with a private CA.
  const server = await startTestServer({ tls: true });
  const agents: AgentProcess[] = [];
  return {
    sim,
    server,
    agents,
    async close() {
      await Promise.all(agents.map((a) => a.stop()));
      await server.close();
      await sim.close();
    },
  };
}

/** Creates (if needed) the groups of `fullPath` and the project; returns the project. */
export async function ensureProject(server: ServerHandle, fullPath: string): Promise<{ id: number; path_with_namespace: string }> {
  const parts = fullPath.split('/');
  let parentId: number | undefined;
  let prefix = '';
  for (const part of parts.slice(0, -1)) {
    prefix = prefix ? `${prefix}/${part}` : part;
    const existing = await server.api('GET', `/groups/${encodeURIComponent(prefix)}`);
    if (existing.status === 200) {
      parentId = existing.body.id;
      continue;
    }
    const created = await server.api('POST', '/groups', { name: part, path: part, ...(parentId ? { parent_id: parentId } : {}) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    parentId = created.body.id;
  }
  const existing = await server.api('GET', `/projects/${encodeURIComponent(fullPath)}`);
  if (existing.status === 200) return existing.body;
  const project = await server.api('POST', '/projects', { name: parts.at(-1), path: parts.at(-1), namespace_id: parentId });
  assert.equal(project.status, 201, JSON.stringify(project.body));
  return project.body;
}

/** Registers an agent in `projectPath`, pushes its config file, starts its process. */
export async function connectAgent(fx: CiFixture, projectPath: string, name: string, config?: string): Promise<{ agentId: number; projectId: number }> {
  const project = await ensureProject(fx.server, projectPath);
  if (config !== undefined) await pushFiles(fx.server, project.path_with_namespace, { [`.gitlab/agents/${name}/config.yaml`]: config });
  const agent = await fx.server.api('POST', `/projects/${project.id}/cluster_agents`, { name });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const token = await fx.server.api('POST', `/projects/${project.id}/cluster_agents/${agent.body.id}/tokens`, { name: 't' });
  assert.equal(token.status, 201);
  const proc = await startAgent({ serverUrl: fx.server.url, token: token.body.token, sim: fx.sim, podName: `${name}-pod`, ...(fx.server.caCertFile ? { caCertFile: fx.server.caCertFile } : {}) });
  fx.agents.push(proc);
  await eventually(async () => {
    const r = await fx.server.api('GET', `/projects/${project.id}/cluster_agents/${agent.body.id}`);
    return r.body.connections?.length > 0 ? true : undefined;
  }, 20_000, `agent ${name} connected`);
  return { agentId: agent.body.id, projectId: project.id };
}

export interface Job {
  id: number;
  token: string;
  kenv: KubectlEnv;
  body: any;
}

/**
 * Creates a CI job (as root, on `main` unless `ref` says otherwise; a branch that does not
 * exist yet is created first) and a kubectl environment holding its kubeconfig.
 */
export async function createJob(server: ServerHandle, projectPath: string, input: { ref?: string; environment?: string; environment_tier?: string } = {}, as: ApiClient = server.api): Promise<Job> {
  const project = await ensureProject(server, projectPath);
  const ref = input.ref ?? 'main';
  if (!ref.startsWith('refs/tags/')) await ensureBranch(server, project.path_with_namespace, ref.replace(/^refs\/heads\//, ''));
  const job = await as('POST', `/projects/${project.id}/jobs`, { ref: 'main', ...input });
  assert.equal(job.status, 201, JSON.stringify(job.body));
  const res = await server.fetch('/api/v4/job/kubeconfig', { headers: { 'JOB-TOKEN': job.body.token } });
  assert.equal(res.status, 200);
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-job-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, await res.text(), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') };
  return { id: job.body.id, token: job.body.token, body: job.body, kenv: { dir, kubeconfig, env, cleanup: () => rm(dir, { recursive: true, force: true }) } };
}
