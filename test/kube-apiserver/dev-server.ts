// Runs a simulator until killed and prints shell exports for kubectl:
//   node --import tsx test/kube-apiserver/dev-server.ts [--port N]
// The last line is JSON ({url, adminToken, caFile, kubeconfig, agentToken})
// for scripts that drive it from another process. Tests in this process
// should call startKubeApiServer directly.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startKubeApiServer } from './index.js';
import { createKubectlEnv } from './testing/kubectl.js';

async function main(): Promise<void> {
  const portArg = process.argv.indexOf('--port');
  const sim = await startKubeApiServer({ port: portArg > 0 ? Number(process.argv[portArg + 1]) : 0 });
  const agentToken = sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
  const admin = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: sim.adminToken });
  const agent = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: agentToken });
  const caFile = join(admin.dir, 'ca.crt');
  await writeFile(caFile, sim.caCert);
  console.log(`export KUBECONFIG=${admin.kubeconfig} HOME=${admin.dir}`);
  console.log(`# as system:serviceaccount:gitlab-agent:gitlab-agent:\n# export KUBECONFIG=${agent.kubeconfig} HOME=${agent.dir}`);
  console.log(JSON.stringify({ url: sim.url, adminToken: sim.adminToken, caFile, kubeconfig: admin.kubeconfig, agentToken }));
  const stop = async (): Promise<void> => {
    await sim.close();
    await admin.cleanup();
    await agent.cleanup();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
