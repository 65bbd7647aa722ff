// One simulator plus an admin kubectl environment, for node:test suites.

import { startKubeApiServer, type KubeApiServerOptions, type KubeApiSimulator } from '../index.js';
import { createKubectlEnv, kubectl, type KubectlEnv, type KubectlResult, type KubeconfigOptions, type RunOptions } from './kubectl.js';

export interface SimFixture {
  sim: KubeApiSimulator;
  admin: KubectlEnv;
  /** kubectl as the admin, with --request-timeout. */
  k(args: string[], options?: RunOptions): Promise<KubectlResult>;
  /** A kubectl environment for another token (cleaned up by close()). */
  envFor(token: string, extra?: Partial<KubeconfigOptions>, env?: NodeJS.ProcessEnv): Promise<KubectlEnv>;
  close(): Promise<void>;
}

export const REQUEST_TIMEOUT = '--request-timeout=15s';

export async function startFixture(options: KubeApiServerOptions = {}): Promise<SimFixture> {
  const sim = await startKubeApiServer(options);
  const envs: KubectlEnv[] = [];
  const envFor = async (token: string, extra: Partial<KubeconfigOptions> = {}, env: NodeJS.ProcessEnv = {}): Promise<KubectlEnv> => {
    const e = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token, ...extra }, env);
    envs.push(e);
    return e;
  };
  const admin = await envFor(sim.adminToken);
  return {
    sim,
    admin,
    envFor,
    k: (args, options) => kubectl(admin, [REQUEST_TIMEOUT, ...args], options),
    async close() {
      await sim.close();
      await Promise.all(envs.map((e) => e.cleanup()));
    },
  };
}
