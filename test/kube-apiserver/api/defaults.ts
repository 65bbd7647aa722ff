// Defaulting the real API server does on create, for the fields kubectl and
// Kubegate read back (service cluster IPs, pod status, deployment strategy…).

import { isPlainObject, type KubeObject } from './types.js';

type Obj = Record<string, unknown>;

let nextServiceIp = 10;

function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const key of ['containers', 'initContainers']) {
    const containers = spec[key];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Obj[]) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= String(c.image ?? '').endsWith(':latest') || !String(c.image ?? '').includes(':') ? 'Always' : 'IfNotPresent';
      c.resources ??= {};
      if (Array.isArray(c.ports)) for (const p of c.ports as Obj[]) p.protocol ??= 'TCP';
    }
  }
}

export function applyCreateDefaults(obj: KubeObject): void {
  const spec = (isPlainObject(obj.spec) ? obj.spec : undefined) as Obj | undefined;
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'v1/Namespace':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name! };
      obj.spec = { finalizers: ['kubernetes'], ...spec };
      obj.status = { phase: 'Active' };
      break;
    case 'v1/Pod':
      obj.spec ??= {};
      defaultPodSpec(obj.spec as Obj);
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'v1/Service': {
      const s = (obj.spec ??= {}) as Obj;
      s.type ??= 'ClusterIP';
      if (s.clusterIP === undefined || s.clusterIP === '') {
        const n = nextServiceIp++;
        s.clusterIP = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      }
      s.clusterIPs ??= s.clusterIP === 'None' ? ['None'] : [s.clusterIP];
      s.sessionAffinity ??= 'None';
      s.ipFamilies ??= ['IPv4'];
      s.ipFamilyPolicy ??= 'SingleStack';
      s.internalTrafficPolicy ??= 'Cluster';
      if (Array.isArray(s.ports)) {
        for (const p of s.ports as Obj[]) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      obj.status = { loadBalancer: {} };
      break;
    }
    case 'v1/Secret':
      obj.type ??= 'Opaque';
      normalizeSecret(obj);
      break;
    case 'apps/v1/Deployment':
    case 'apps/v1/ReplicaSet':
    case 'apps/v1/StatefulSet': {
      const s = (obj.spec ??= {}) as Obj;
      s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      if (obj.kind === 'Deployment') {
        s.progressDeadlineSeconds ??= 600;
        s.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      }
      const template = s.template as Obj | undefined;
      if (template && isPlainObject(template.spec)) defaultPodSpec(template.spec);
      obj.status ??= {};
      break;
    }
    case 'apiextensions.k8s.io/v1/CustomResourceDefinition': {
      const names = ((spec?.names ?? {}) as Obj);
      obj.status = {
        acceptedNames: names,
        storedVersions: ((spec?.versions as Obj[] | undefined) ?? []).filter((v) => v.storage).map((v) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: new Date().toISOString() },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: new Date().toISOString() },
        ],
      };
      break;
    }
  }
}

/** `stringData` is write-only: it is folded into base64 `data` on every write. */
export function normalizeSecret(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return;
  if (isPlainObject(obj.stringData)) {
    const data = (isPlainObject(obj.data) ? obj.data : {}) as Record<string, string>;
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    obj.data = data;
    delete obj.stringData;
  }
}

/** Which kinds keep `status` out of main-resource writes (it changes only via /status). */
export function hasStatusSubresource(subresources: string[]): boolean {
  return subresources.includes('status');
}
