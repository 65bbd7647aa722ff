/**
 * Helpers shared by the CI proxy end-to-end tests (test/e2e/ci_proxy*.test.ts): pushing
 * an agent configuration and waiting until it is in force, pods in the simulator, the
 * local port of a `kubectl port-forward`, and a kubectl call that is retried until it
 * answers as expected.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { pushFiles } from '../helpers/git.js';
import { eventually } from '../helpers/agent.js';
import type { CiFixture } from '../helpers/ci.js';
import { ensureProject } from '../helpers/ci.js';
import type { KubeObject } from '../kube-apiserver/api/types.js';
import { kubectl, type KubectlEnv, type KubectlProcess, type KubectlResult } from '../kube-apiserver/testing/kubectl.js';

/** Pushes `.gitlab/agents/<name>/config.yaml` and waits until the server has it in force. */
export async function pushAgentConfig(fx: CiFixture, projectPath: string, agentName: string, agentId: number, yaml: string): Promise<string> {
  const project = await ensureProject(fx.server, projectPath);
  const commit = await pushFiles(fx.server, project.path_with_namespace, { [`.gitlab/agents/${agentName}/config.yaml`]: yaml });
  await eventually(async () => {
    const r = await fx.server.api('GET', `/projects/${project.id}/cluster_agents/${agentId}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.configuration.errors, [], JSON.stringify(r.body.configuration));
    return r.body.configuration.commit === commit ? true : undefined;
  }, 5_000, `configuration ${commit} in force`);
  return commit;
}

/** A running pod whose single container `app` runs `command` (default: sleeps forever). */
export async function runPod(fx: CiFixture, namespace: string, name: string, command: string[] = ['sleep', 'infinity'], extra: Partial<Record<string, unknown>> = {}): Promise<KubeObject> {
  ensureNamespace(fx, namespace);
  fx.sim.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'busybox', command, ports: [{ containerPort: 8080 }], ...extra }] },
  });
  return fx.sim.waitForPodRunning(namespace, name);
}

export function ensureNamespace(fx: CiFixture, namespace: string): void {
  if (!fx.sim.get('v1', 'Namespace', undefined, namespace)) fx.sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
}

/** Runs kubectl until `accept` holds (configuration pushes and pod starts take a moment). */
export async function kubectlUntil(kenv: KubectlEnv, args: string[], accept: (r: KubectlResult) => boolean, timeoutMs = 5_000): Promise<KubectlResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await kubectl(kenv, args);
    if (accept(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** The local port a `kubectl port-forward` listens on ("Forwarding from 127.0.0.1:N -> P"). */
export async function forwardedPort(pf: KubectlProcess): Promise<number> {
  const m = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+)/, 20_000);
  return Number(m[1]);
}

/** Sends `payload` to a local port and reads until as many bytes came back. */
export function echoRoundTrip(port: number, payload: Buffer, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo: ${got} of ${payload.length} bytes back within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= payload.length) {
        clearTimeout(timer);
        socket.end();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(payload);
  });
}

/** Admin view of the audit log, newest first. */
export async function auditEvents(fx: CiFixture, query = ''): Promise<Array<Record<string, any>>> {
  const r = await fx.server.api('GET', `/audit_events?per_page=100${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
