/**
 * Runs the container of a Deployment that helm installed into the Kubernetes API simulator
 * as kubelet would run it in a pod, with a real `kubegate agent` process standing in for
 * the image (whose entrypoint is `kubegate`):
 *
 * - argv: the container's `command` (else the image's entrypoint, `kubegate`) and `args`;
 * - environment: the container's `env` only (values, downward-API `fieldRef`s, Secret and
 *   ConfigMap key refs), plus what kubelet adds (`KUBERNETES_SERVICE_HOST/PORT`, `HOSTNAME`);
 * - volumes: each mounted Secret, ConfigMap (with `items`) or emptyDir is written to a temp
 *   dir at `<root><mountPath>`, and references to a mount path in the args and environment
 *   are rewritten to it (a process cannot mount; this is the only translation made);
 * - the ServiceAccount token kubelet projects: a token of the pod's ServiceAccount (which
 *   must exist) in `<root>/var/run/secrets/kubernetes.io/serviceaccount`, named to the agent
 *   by `KUBEGATE_SERVICE_ACCOUNT_DIR` (docs/agents.md);
 * - the container port of the observability endpoint is mapped to a free loopback port
 *   (every "pod" here shares the host's network), and the probes are sent there.
 *
 * `stop()` sends SIGTERM and waits for the pod's `terminationGracePeriodSeconds`, as kubelet.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { KubeApiSimulator } from '../kube-apiserver/index.js';
import { CLI, watchAgentProcess, type AgentProcess } from './agent.js';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface PodProcess extends AgentProcess {
  podName: string;
  /** The temp dir standing for the pod's filesystem. */
  root: string;
  argv: string[];
  env: Record<string, string>;
  /** The loopback port the observability container port is mapped to. */
  observabilityPort(): Promise<number>;
  /** Status code of the container's readiness (or liveness) probe. */
  probe(kind: 'readinessProbe' | 'livenessProbe'): Promise<number>;
  /** SIGTERM, then SIGKILL after the pod's grace period; resolves with the exit code. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface PodOptions {
  podName?: string;
  /** How to run `kubegate`: Node arguments standing for the image's entrypoint (default: the sources through tsx). */
  kubegate?: string[];
  /** The container (default: the first). */
  container?: string;
}

export async function runDeploymentPod(sim: KubeApiSimulator, namespace: string, deploymentName: string, options: PodOptions = {}): Promise<PodProcess> {
  const deployment = sim.get('apps/v1', 'Deployment', namespace, deploymentName) as any;
  assert.ok(deployment, `Deployment ${namespace}/${deploymentName} is not in the cluster`);
  const spec = deployment.spec.template.spec;
  const container = options.container ? spec.containers.find((c: any) => c.name === options.container) : spec.containers[0];
  assert.ok(container, `no container ${options.container ?? ''} in Deployment ${deploymentName}`);
  const podName = options.podName ?? `${deploymentName}-7c9f8d-${Math.random().toString(36).slice(2, 7)}`;
  const root = await mkdtemp(join(tmpdir(), 'kubegate-pod-'));
  const mounts = new Map<string, string>();

  for (const mount of container.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v: any) => v.name === mount.name);
    assert.ok(volume, `volumeMount ${mount.name} names no volume`);
    const dir = join(root, mount.mountPath);
    await mkdir(dir, { recursive: true });
    for (const [file, content] of Object.entries(volumeFiles(sim, namespace, volume))) {
      await writeFile(join(dir, file), content, { mode: volume.secret?.defaultMode ?? volume.configMap?.defaultMode ?? 0o644 });
    }
    mounts.set(mount.mountPath, dir);
  }

  // Kubelet's projected ServiceAccount token: the account must exist, as for a real pod.
  const serviceAccount = spec.serviceAccountName ?? 'default';
  assert.ok(sim.get('v1', 'ServiceAccount', namespace, serviceAccount), `ServiceAccount ${namespace}/${serviceAccount} does not exist: the pod could not start`);
  const saDir = join(root, SERVICE_ACCOUNT_MOUNT);
  await mkdir(saDir, { recursive: true });
  if (spec.automountServiceAccountToken !== false) {
    await writeFile(join(saDir, 'token'), sim.serviceAccountToken(namespace, serviceAccount));
    await writeFile(join(saDir, 'ca.crt'), sim.caCert);
    await writeFile(join(saDir, 'namespace'), namespace);
  }

  const remap = (value: string) => {
    for (const [mountPath, dir] of mounts) if (value === mountPath || value.startsWith(`${mountPath}/`)) return dir + value.slice(mountPath.length);
    return value;
  };
  const observability = (container.ports ?? []).find((p: any) => p.name === 'observability');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOSTNAME: podName,
    HOME: join(root, 'tmp'),
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(sim.port),
    KUBEGATE_SERVICE_ACCOUNT_DIR: saDir,
  };
  for (const item of container.env ?? []) env[item.name] = remap(envValue(sim, namespace, podName, item));
  if (observability && env.KUBEGATE_OBSERVABILITY_LISTEN) {
    assert.match(env.KUBEGATE_OBSERVABILITY_LISTEN, new RegExp(`:${observability.containerPort}$`), 'the agent listens on the observability container port');
    // The container port, mapped: the agent picks a free port and logs it.
    env.KUBEGATE_OBSERVABILITY_LISTEN = '127.0.0.1:0';
  }

  const entrypoint: string[] = container.command ?? ['kubegate'];
  assert.equal(entrypoint[0], 'kubegate', 'the image runs kubegate');
  const args = [...entrypoint.slice(1), ...(container.args ?? [])].map(remap);
  // The pod's working directory is its temp root: name the loader by its absolute URL.
  const node = [...(options.kubegate ?? ['--import', import.meta.resolve('tsx'), CLI])];
  const child = spawn(process.execPath, [...node, ...args], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = watchAgentProcess(child);
  const graceMs = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
  let port: Promise<number> | undefined;
  const observabilityPort = () =>
    (port ??= proc.waitForLog((l) => l.msg?.startsWith('observability endpoints listening')).then((l) => Number(l.address.port)));

  async function terminate() {
    const started = Date.now();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    await rm(root, { recursive: true, force: true });
    return { ...result, ms: Date.now() - started };
  }

  return {
    ...proc,
    podName,
    root,
    argv: args,
    env,
    observabilityPort,
    async probe(kind) {
      const probe = container[kind]?.httpGet;
      assert.ok(probe, `the container has no ${kind}`);
      assert.ok(probe.port === 'observability' || probe.port === observability?.containerPort, `the ${kind} targets the observability port`);
      const res = await request(`http://127.0.0.1:${await observabilityPort()}${probe.path}`);
      await res.body.dump();
      return res.statusCode;
    },
    terminate,
    async stop() {
      return (await terminate()).code;
    },
  };
}

/** The files a volume shows in the container (Secret data decoded, `items` applied). */
function volumeFiles(sim: KubeApiSimulator, namespace: string, volume: any): Record<string, Buffer> {
  if (volume.emptyDir) return {};
  const source = volume.secret
    ? { object: sim.get('v1', 'Secret', namespace, volume.secret.secretName) as any, decode: true, what: `Secret ${volume.secret.secretName}`, items: volume.secret.items }
    : volume.configMap
      ? { object: sim.get('v1', 'ConfigMap', namespace, volume.configMap.name) as any, decode: false, what: `ConfigMap ${volume.configMap.name}`, items: volume.configMap.items }
      : undefined;
  assert.ok(source, `volume ${volume.name}: only secret, configMap and emptyDir volumes are run here`);
  assert.ok(source.object, `${source.what} of volume ${volume.name} does not exist: the pod could not start`);
  const data: Record<string, string> = source.object.data ?? {};
  const read = (key: string) => {
    assert.ok(key in data, `${source.what} has no key ${key}`);
    return source.decode ? Buffer.from(data[key]!, 'base64') : Buffer.from(data[key]!);
  };
  if (source.items) return Object.fromEntries(source.items.map((i: any) => [i.path, read(i.key)]));
  return Object.fromEntries(Object.keys(data).map((k) => [k, read(k)]));
}

function envValue(sim: KubeApiSimulator, namespace: string, podName: string, item: any): string {
  if (item.value !== undefined) return String(item.value);
  const from = item.valueFrom;
  if (from?.fieldRef) {
    const path = from.fieldRef.fieldPath;
    if (path === 'metadata.name') return podName;
    if (path === 'metadata.namespace') return namespace;
    throw new Error(`env ${item.name}: fieldRef ${path} is not run here`);
  }
  if (from?.secretKeyRef) {
    const secret = sim.get('v1', 'Secret', namespace, from.secretKeyRef.name) as any;
    return Buffer.from(secret.data[from.secretKeyRef.key], 'base64').toString();
  }
  if (from?.configMapKeyRef) return (sim.get('v1', 'ConfigMap', namespace, from.configMapKeyRef.name) as any).data[from.configMapKeyRef.key];
  throw new Error(`env ${item.name} has neither value nor a supported valueFrom`);
}
