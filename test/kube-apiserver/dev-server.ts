// Runs a simulator until killed and prints shell exports for kubectl:
//   node --import tsx test/kube-apiserver/dev-server.ts
// Handy for poking at it by hand; tests use startKubeApiServer directly.

import { startKubeApiServer } from './index.js';
import { createKubectlEnv } from './testing/kubectl.js';

async function main(): Promise<void> {
  const sim = await startKubeApiServer();
  const admin = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: sim.adminToken });
  const agent = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: sim.serviceAccountToken('gitlab-agent', 'gitlab-agent') });
  console.log(`export KUBECONFIG=${admin.kubeconfig} HOME=${admin.dir}`);
  console.log(`# as system:serviceaccount:gitlab-agent:gitlab-agent:\n# export KUBECONFIG=${agent.kubeconfig} HOME=${agent.dir}`);
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
