// Runs a simulator until killed and prints shell exports for kubectl:
//   node --import tsx test/kube-apiserver/dev-server.ts [--port N] [--kubeconfig FILE]
//   (npm run kube-simulator -- --kubeconfig cluster.kubeconfig: the README's cluster)
// With --kubeconfig, a cluster-admin kubeconfig is written to FILE (0600) once the
// simulator listens, so a script can wait for the file and go on.
// The last line is JSON ({url, adminToken, caFile, kubeconfig, agentToken})
// for scripts that drive it from another process. Tests in this process
// should call startKubeApiServer directly.

import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startKubeApiServer } from './index.js';
import { createKubectlEnv, kubeconfigYaml } from './testing/kubectl.js';

async function main(): Promise<void> {
  const portArg = process.argv.indexOf('--port');
  const sim = await startKubeApiServer({ port: portArg > 0 ? Number(process.argv[portArg + 1]) : 0 });
  const agentToken = sim.serviceAccountToken('gitlab-agent', 'gitlab-agent');
  const admin = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: sim.adminToken });
  const agent = await createKubectlEnv({ server: sim.url, caCert: sim.caCert, token: agentToken });
  const caFile = join(admin.dir, 'ca.crt');
  await writeFile(caFile, sim.caCert);
  const kubeconfigArg = process.argv.indexOf('--kubeconfig');
  const kubeconfigFile = kubeconfigArg > 0 ? process.argv[kubeconfigArg + 1] : undefined;
  // A pod to see through the proxy in a first session.
  sim.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: 'default' }, spec: { containers: [{ name: 'hello', image: 'busybox', command: ['sleep', 'infinity'] }] } });
  if (kubeconfigFile) {
    const temporary = `${kubeconfigFile}.tmp`;
    await writeFile(temporary, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }), { mode: 0o600 });
    await rename(temporary, kubeconfigFile);
  }
  console.log(`export KUBECONFIG=${admin.kubeconfig} HOME=${admin.dir}`);
  console.log(`# as system:serviceaccount:gitlab-agent:gitlab-agent:\n# export KUBECONFIG=${agent.kubeconfig} HOME=${agent.dir}`);
  console.log(JSON.stringify({ url: sim.url, adminToken: sim.adminToken, caFile, kubeconfig: admin.kubeconfig, agentToken }));
  const stop = async (): Promise<void> => {
    if (kubeconfigFile) await rm(kubeconfigFile, { force: true });
    await sim.close();
    await admin.cleanup();
    await agent.cleanup();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
