// Deployment → ReplicaSet → Pod controllers, reduced to what `kubectl
// rollout status` and `kubectl get deploy` read: a ReplicaSet per pod
// template (named by pod-template-hash), pods per replica, and status
// counters that become ready as soon as the pods run.

import { createHash, randomBytes } from 'node:crypto';
import type { ObjectService } from '../api/objects.js';
import type { ResourceRegistry } from '../api/resources.js';
import { matchesLabelSelectorObject } from '../api/selectors.js';
import type { ObjectStore, StoreEvent } from '../api/store.js';
import type { KubeObject } from '../api/types.js';

const DEPLOYMENTS = 'apps/deployments';
const REPLICASETS = 'apps/replicasets';
const PODS = '/pods';

type Obj = Record<string, any>;

function templateHash(template: unknown): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

function podReady(pod: KubeObject): boolean {
  const status = pod.status as Obj | undefined;
  return status?.phase === 'Running' && (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

function ownerRef(owner: KubeObject): Obj {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

export function startDeploymentController(store: ObjectStore, objects: ObjectService, registry: ResourceRegistry): () => void {
  const rsDef = registry.byResource('apps', 'v1', 'replicasets')!;
  const podDef = registry.byResource('', 'v1', 'pods')!;
  const pending = new Map<string, () => void>();
  let closed = false;

  /** Coalesces bursts of events into one reconcile per object per tick. */
  function schedule(key: string, fn: () => void): void {
    if (closed || pending.has(key)) return;
    pending.set(key, fn);
    setImmediate(() => {
      pending.delete(key);
      if (!closed) fn();
    });
  }

  function writeStatus(key: string, obj: KubeObject, status: Obj): void {
    if (JSON.stringify(obj.status ?? {}) === JSON.stringify(status)) return;
    obj.status = status;
    store.update(key, obj);
  }

  function reconcileDeployment(ns: string, name: string): void {
    const dep = store.get(DEPLOYMENTS, ns, name);
    if (!dep) return;
    const spec = dep.spec as Obj;
    const hash = templateHash(spec.template);
    const owned = store.list(REPLICASETS, ns).filter((rs) => ownedBy(rs, dep));
    const revision = String(Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0))) + 1);
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const replicas = spec.replicas ?? 1;
    if (!current) {
      const template = structuredClone(spec.template) as Obj;
      template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, 'pod-template-hash': hash } };
      current = objects.create(rsDef, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: ns,
          labels: template.metadata.labels,
          annotations: { 'deployment.kubernetes.io/revision': revision, 'deployment.kubernetes.io/desired-replicas': String(replicas) },
          ownerReferences: [ownerRef(dep)] as never,
        },
        spec: { replicas, selector: { matchLabels: { ...spec.selector?.matchLabels, 'pod-template-hash': hash } }, template },
      });
    } else if ((current.spec as Obj).replicas !== replicas) {
      (current.spec as Obj).replicas = replicas;
      store.update(REPLICASETS, current);
    }
    for (const old of owned) {
      if (old.metadata.uid !== current.metadata.uid && (old.spec as Obj).replicas !== 0) {
        (old.spec as Obj).replicas = 0;
        store.update(REPLICASETS, old);
      }
    }
    if (dep.metadata.annotations?.['deployment.kubernetes.io/revision'] !== current.metadata.annotations?.['deployment.kubernetes.io/revision']) {
      dep.metadata.annotations = { ...dep.metadata.annotations, 'deployment.kubernetes.io/revision': current.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1' };
      store.update(DEPLOYMENTS, dep);
    }
    updateDeploymentStatus(ns, name);
  }

  function updateDeploymentStatus(ns: string, name: string): void {
    const dep = store.get(DEPLOYMENTS, ns, name);
    if (!dep) return;
    const hash = templateHash((dep.spec as Obj).template);
    const owned = store.list(REPLICASETS, ns).filter((rs) => ownedBy(rs, dep));
    const pods = store.list(PODS, ns);
    let total = 0;
    let updated = 0;
    let ready = 0;
    for (const rs of owned) {
      const rsPods = pods.filter((p) => ownedBy(p, rs));
      total += rsPods.length;
      ready += rsPods.filter(podReady).length;
      if (rs.metadata.labels?.['pod-template-hash'] === hash) updated += rsPods.length;
    }
    const desired = (dep.spec as Obj).replicas ?? 1;
    const done = updated === desired && total === desired && ready === desired;
    const previous = (dep.status as Obj | undefined)?.conditions ?? [];
    const now = new Date().toISOString();
    const condition = (type: string, status: boolean, reason: string, message: string): Obj => {
      const prev = previous.find((c: Obj) => c.type === type);
      const same = prev && prev.status === (status ? 'True' : 'False') && prev.reason === reason;
      return { type, status: status ? 'True' : 'False', lastUpdateTime: same ? prev.lastUpdateTime : now, lastTransitionTime: same ? prev.lastTransitionTime : now, reason, message };
    };
    const status: Obj = {
      observedGeneration: dep.metadata.generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions: [
        condition('Available', ready >= desired, ready >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', ready >= desired ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
        condition('Progressing', true, done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', done ? `ReplicaSet "${name}-${hash}" has successfully progressed.` : `ReplicaSet "${name}-${hash}" is progressing.`),
      ],
    };
    if (total - ready > 0) status.unavailableReplicas = total - ready;
    if (ready === 0) delete status.readyReplicas;
    if (ready === 0) delete status.availableReplicas;
    writeStatus(DEPLOYMENTS, dep, status);
  }

  function reconcileReplicaSet(ns: string, name: string): void {
    const rs = store.get(REPLICASETS, ns, name);
    if (!rs) return;
    const spec = rs.spec as Obj;
    const pods = store.list(PODS, ns).filter((p) => ownedBy(p, rs) && matchesLabelSelectorObject(spec.selector ?? {}, p.metadata.labels));
    const want = spec.replicas ?? 1;
    for (let i = pods.length; i < want; i++) {
      const template = structuredClone(spec.template ?? {}) as Obj;
      const suffix = [...randomBytes(5)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');
      objects.create(podDef, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, name: `${name}-${suffix}`, namespace: ns, ownerReferences: [ownerRef(rs)] as never },
        spec: template.spec,
      });
    }
    for (const extra of pods.slice(want)) objects.delete(podDef, ns, extra.metadata.name!);
    const live = store.list(PODS, ns).filter((p) => ownedBy(p, rs));
    const ready = live.filter(podReady).length;
    const status: Obj = { replicas: live.length, fullyLabeledReplicas: live.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation };
    writeStatus(REPLICASETS, rs, status);
    const owner = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
    if (owner) schedule(`status/${ns}/${owner.name}`, () => updateDeploymentStatus(ns, owner.name));
  }

  const unsubscribe = store.subscribe(function deploymentController(event: StoreEvent) {
    const meta = event.object.metadata;
    const ns = meta.namespace!;
    if (event.type === 'DELETED') {
      // Dependents are removed by cascading deletion; an owner's status still needs refreshing.
      if (event.key === PODS || event.key === REPLICASETS) {
        for (const ref of meta.ownerReferences ?? []) {
          if (ref.kind === 'ReplicaSet') schedule(`rs/${ns}/${ref.name}`, () => reconcileReplicaSet(ns, ref.name));
          if (ref.kind === 'Deployment') schedule(`status/${ns}/${ref.name}`, () => updateDeploymentStatus(ns, ref.name));
        }
      }
      return;
    }
    if (event.key === DEPLOYMENTS) {
      if (event.type === 'ADDED' || event.previous?.metadata.generation !== meta.generation || JSON.stringify(event.previous?.spec) !== JSON.stringify(event.object.spec)) {
        schedule(`dep/${ns}/${meta.name}`, () => reconcileDeployment(ns, meta.name!));
      }
    } else if (event.key === REPLICASETS) {
      if (event.type === 'ADDED' || JSON.stringify(event.previous?.spec) !== JSON.stringify(event.object.spec)) {
        schedule(`rs/${ns}/${meta.name}`, () => reconcileReplicaSet(ns, meta.name!));
      }
    } else if (event.key === PODS) {
      for (const ref of meta.ownerReferences ?? []) {
        if (ref.kind === 'ReplicaSet') schedule(`rs/${ns}/${ref.name}`, () => reconcileReplicaSet(ns, ref.name));
      }
    }
  });
  return function stopDeploymentController() {
    closed = true;
    unsubscribe();
  };
}
