/**
 * What a CI runner does with `GET /api/v4/job/variables`: env variables go into the job's
 * environment, file variables are written to files whose paths go in. The result drives
 * the real kubectl like a job's script would (`KUBECONFIG` points at the file).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubectlEnv } from '../kube-apiserver/testing/kubectl.js';
import type { TestServer } from './server.js';

export interface JobVariable {
  key: string;
  value: string;
  variable_type: 'env_var' | 'file';
  masked: boolean;
  public: boolean;
}

export async function jobVariables(server: TestServer, jobToken: string): Promise<JobVariable[]> {
  const res = await server.fetch('/api/v4/job/variables', { headers: { 'JOB-TOKEN': jobToken } });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return JSON.parse(body) as JobVariable[];
}

/** A kubectl environment made from the job's variables, as a runner would make it. */
export async function jobEnvironment(variables: JobVariable[]): Promise<KubectlEnv & { vars: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-job-'));
  const vars: Record<string, string> = {};
  for (const v of variables) {
    if (v.variable_type === 'file') {
      const path = join(dir, v.key);
      await writeFile(path, v.value, { mode: 0o600 });
      vars[v.key] = path;
    } else {
      vars[v.key] = v.value;
    }
  }
  assert.ok(vars.KUBECONFIG, 'the job has a KUBECONFIG');
  return {
    dir,
    kubeconfig: vars.KUBECONFIG!,
    vars,
    env: { PATH: process.env.PATH, HOME: dir, KUBECACHEDIR: join(dir, 'cache'), ...vars },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
