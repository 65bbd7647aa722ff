// The "kubelet": watches pods in the store, starts their containers as
// simulated processes shortly after creation, writes status like a real
// kubelet (phase, conditions, containerStatuses, IPs) and stops them when
// the pod is deleted. Exec/attach/logs/port-forward find containers here.

import { randomBytes } from 'node:crypto';
import { notFound, badRequest } from '../api/status.js';
import type { ObjectStore, StoreEvent } from '../api/store.js';
import type { KubeObject } from '../api/types.js';
import { LogBuffer } from './log-buffer.js';
import { MemFs } from './memfs.js';
import { isKnownCommand } from './commands.js';
import { SimProcess } from './process.js';

const PODS = '/pods';
export const NODE_NAME = 'kube-sim-node';

export interface PodRuntimeOptions {
  /** Delay between pod creation and Running. */
  startDelayMs: number;
  /** Interval of the default log-printing program. */
  tickIntervalMs: number;
}

interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  env?: { name: string; value?: string }[];
}

export class ContainerState {
  readonly logs = new LogBuffer();
  readonly fs = new MemFs();
  main: SimProcess | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  exitCode: number | undefined;
  readonly containerId = `containerd://${randomBytes(32).toString('hex')}`;
  /** With stdinOnce, stdin closes after the first attached client closes its stdin. */
  stdinConsumed = false;

  constructor(readonly spec: ContainerSpec, readonly pod: PodState) {}

  get name(): string {
    return this.spec.name;
  }

  env(): Record<string, string> {
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: this.pod.name,
      HOME: '/root',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    for (const e of this.spec.env ?? []) env[e.name] = e.value ?? '';
    return env;
  }
}

export class PodState {
  readonly containers = new Map<string, ContainerState>();
  deleted = false;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
    readonly podIP: string,
  ) {}
}

let nextIp = 2;

export class PodRuntime {
  private readonly pods = new Map<string, PodState>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: PodRuntimeOptions,
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  private key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  private onEvent(event: StoreEvent): void {
    if (event.key !== PODS) return;
    const meta = event.object.metadata;
    const key = this.key(meta.namespace!, meta.name!);
    if (event.type === 'ADDED') {
      const n = nextIp++;
      const state = new PodState(meta.namespace!, meta.name!, meta.uid!, `10.244.${Math.floor(n / 250)}.${(n % 250) + 1}`);
      const spec = (event.object.spec ?? {}) as { containers?: ContainerSpec[] };
      for (const c of spec.containers ?? []) state.containers.set(c.name, new ContainerState(c, state));
      this.pods.set(key, state);
      // Deferred: the creating request must return first, like a real kubelet reacting later.
      state.timer = setTimeout(() => this.start(state), this.options.startDelayMs);
    } else if (event.type === 'DELETED') {
      const state = this.pods.get(key);
      if (state && state.uid === meta.uid) {
        this.pods.delete(key);
        this.stop(state);
      }
    }
  }

  private start(state: PodState): void {
    if (state.deleted) return;
    const now = new Date().toISOString();
    for (const c of state.containers.values()) {
      const requested = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
      // We cannot run real images: an entrypoint we do not implement (an app binary,
      // `nginx`, the Kubegate agent…) runs the default long-lived program instead of
      // failing, so Deployments of real charts become ready. Exec still reports 127.
      const argv = requested.length > 0 && isKnownCommand(requested[0]!) ? requested : [];
      const proc = new SimProcess(argv, { fs: c.fs, env: c.env(), tickIntervalMs: this.options.tickIntervalMs, label: `${state.name}/${c.name}` });
      c.main = proc;
      c.startedAt = now;
      // Containers without `stdin: true` read /dev/null.
      if (!c.spec.stdin) proc.stdin.end();
      proc.stdout.on('data', (chunk: Buffer) => c.logs.write(chunk));
      proc.stderr.on('data', (chunk: Buffer) => c.logs.write(chunk));
      void proc.exited.then((code) => this.onExit(state, c, code));
    }
    this.writeStatus(state);
  }

  private onExit(state: PodState, c: ContainerState, code: number): void {
    c.exitCode = code;
    c.finishedAt = new Date().toISOString();
    // Let stdout/stderr 'data' events drain before ending followers.
    setImmediate(() => {
      c.logs.end();
      if (!state.deleted) this.writeStatus(state);
    });
  }

  private stop(state: PodState): void {
    state.deleted = true;
    if (state.timer) clearTimeout(state.timer);
    for (const c of state.containers.values()) {
      c.main?.kill();
      c.logs.end();
    }
  }

  /** Writes the kubelet's view of the pod into the stored object. */
  private writeStatus(state: PodState): void {
    const pod = this.store.get(PODS, state.namespace, state.name);
    if (!pod || pod.metadata.uid !== state.uid) return;
    const containers = [...state.containers.values()];
    const allDone = containers.every((c) => c.exitCode !== undefined);
    const running = containers.filter((c) => c.exitCode === undefined);
    const phase = allDone ? (containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed') : 'Running';
    const ready = running.length === containers.length;
    const now = new Date().toISOString();
    const startTime = containers[0]?.startedAt ?? now;
    const cond = (type: string, status: boolean, reason?: string): Record<string, unknown> => ({ type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now, ...(reason ? { reason } : {}) });
    (pod.spec as Record<string, unknown>).nodeName = NODE_NAME;
    pod.status = {
      phase,
      conditions: [
        cond('PodReadyToStartContainers', !allDone),
        cond('Initialized', true),
        cond('Ready', ready, ready ? undefined : allDone ? 'PodCompleted' : 'ContainersNotReady'),
        cond('ContainersReady', ready, ready ? undefined : allDone ? 'PodCompleted' : 'ContainersNotReady'),
        cond('PodScheduled', true),
      ],
      hostIP: '10.0.0.10',
      hostIPs: [{ ip: '10.0.0.10' }],
      podIP: state.podIP,
      podIPs: [{ ip: state.podIP }],
      startTime,
      qosClass: 'BestEffort',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        state:
          c.exitCode === undefined
            ? { running: { startedAt: c.startedAt } }
            : { terminated: { exitCode: c.exitCode, reason: c.exitCode === 0 ? 'Completed' : 'Error', startedAt: c.startedAt, finishedAt: c.finishedAt, containerID: c.containerId } },
        lastState: {},
        ready: c.exitCode === undefined,
        restartCount: 0,
        image: c.spec.image ?? '',
        imageID: `docker.io/library/${(c.spec.image ?? 'image').split(':')[0]}@sha256:${'0'.repeat(64)}`,
        containerID: c.containerId,
        started: c.exitCode === undefined,
      })),
    };
    this.store.update(PODS, pod);
  }

  pod(namespace: string, name: string): PodState {
    const state = this.pods.get(this.key(namespace, name));
    if (!state) throw notFound('', 'pods', name);
    return state;
  }

  /** The named container, or the only/first one (callers pass a name when kubectl does). */
  container(namespace: string, podName: string, containerName?: string | null): ContainerState {
    const state = this.pod(namespace, podName);
    if (containerName) {
      const c = state.containers.get(containerName);
      if (!c) throw badRequest(`container ${containerName} is not valid for pod ${podName}`);
      return c;
    }
    if (state.containers.size > 1) {
      throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${[...state.containers.keys()].join(' ')}]`);
    }
    return [...state.containers.values()][0]!;
  }

  /** For exec/attach/port-forward: the pod must be running (else 400 like the real server). */
  runningContainer(namespace: string, podName: string, containerName?: string | null): ContainerState {
    const c = this.container(namespace, podName, containerName);
    if (!c.startedAt) throw badRequest(`pod ${podName} does not have a host assigned`);
    if (c.exitCode !== undefined) throw badRequest(`container ${c.name} is not running`);
    return c;
  }

  exec(container: ContainerState, argv: string[]): SimProcess {
    return new SimProcess(argv, { fs: container.fs, env: container.env(), tickIntervalMs: this.options.tickIntervalMs, label: `${container.pod.name}/${container.name}` });
  }

  close(): void {
    this.unsubscribe();
    for (const state of this.pods.values()) this.stop(state);
    this.pods.clear();
  }
}

export function podOf(obj: KubeObject): { namespace: string; name: string } {
  return { namespace: obj.metadata.namespace!, name: obj.metadata.name! };
}
