// The `scale` subresource (autoscaling/v1 Scale) of deployments, replica
// sets and stateful sets: `kubectl scale` reads and writes replicas here.

import type { ResourceDef } from '../api/resources.js';
import { badRequest } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import type { SimContext } from '../context.js';

export function scaleOf(obj: KubeObject): unknown {
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0 },
  };
}

export function applyScale(ctx: SimContext, def: ResourceDef, ns: string | undefined, name: string, scale: KubeObject): KubeObject {
  const current = ctx.objects.get(def, ns, name);
  const replicas = (scale.spec as { replicas?: number } | undefined)?.replicas;
  if (typeof replicas !== 'number') throw badRequest('spec.replicas is required');
  (current.spec as { replicas?: number }).replicas = replicas;
  return ctx.objects.update(def, current);
}
