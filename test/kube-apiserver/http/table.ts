// `Table` responses (meta.k8s.io/v1) for `kubectl get`: the server decides
// the columns, as the real one does, so kubectl's output looks familiar.

import type { ResourceDef } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function col(name: string, type = 'string', priority = 0, format = ''): Column {
  return { name, type, format, description: name, priority };
}

export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

type Obj = Record<string, any>;

function podRow(pod: Obj): unknown[] {
  const statuses: Obj[] = pod.status?.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  let reason: string = pod.status?.phase ?? 'Unknown';
  for (const s of statuses) {
    if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
    else if (s.state?.terminated?.reason && pod.status?.phase !== 'Running') reason = s.state.terminated.reason;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return [`${ready}/${total}`, reason, restarts, age(pod.metadata.creationTimestamp), pod.status?.podIP ?? '<none>', pod.spec?.nodeName ?? '<none>', '<none>', '<none>'];
}

function servicePorts(svc: Obj): string {
  const ports: Obj[] = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function columnsFor(def: ResourceDef): { columns: Column[]; cells: (o: Obj) => unknown[] } {
  const key = `${def.group}/${def.kind}`;
  switch (key) {
    case '/Pod':
      return {
        columns: [col('Name'), col('Ready'), col('Status'), col('Restarts', 'string'), col('Age'), col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
        cells: (o) => [o.metadata.name, ...podRow(o)],
      };
    case '/Namespace':
      return { columns: [col('Name'), col('Status'), col('Age')], cells: (o) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp)] };
    case '/Service':
      return {
        columns: [col('Name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 'string', 1)],
        cells: (o) => [o.metadata.name, o.spec?.type ?? 'ClusterIP', o.spec?.clusterIP ?? '<none>', '<none>', servicePorts(o), age(o.metadata.creationTimestamp), o.spec?.selector ? Object.entries(o.spec.selector).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'],
      };
    case '/ConfigMap':
      return { columns: [col('Name'), col('Data', 'integer'), col('Age')], cells: (o) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp)] };
    case '/Secret':
      return { columns: [col('Name'), col('Type'), col('Data', 'integer'), col('Age')], cells: (o) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp)] };
    case '/ServiceAccount':
      return { columns: [col('Name'), col('Secrets', 'integer'), col('Age')], cells: (o) => [o.metadata.name, (o.secrets ?? []).length, age(o.metadata.creationTimestamp)] };
    case 'apps/Deployment':
      return {
        columns: [col('Name'), col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age')],
        cells: (o) => [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o.metadata.creationTimestamp)],
      };
    case 'apps/ReplicaSet':
      return {
        columns: [col('Name'), col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Age')],
        cells: (o) => [o.metadata.name, o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o.metadata.creationTimestamp)],
      };
    case 'rbac.authorization.k8s.io/Role':
    case 'rbac.authorization.k8s.io/ClusterRole':
      return { columns: [col('Name'), col('Created At', 'string', 0, 'date')], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] };
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      return { columns: [col('Name'), col('Role'), col('Age')], cells: (o) => [o.metadata.name, `${o.roleRef?.kind}/${o.roleRef?.name}`, age(o.metadata.creationTimestamp)] };
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      return { columns: [col('Name'), col('Created At', 'date')], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] };
    default:
      return { columns: [col('Name'), col('Age')], cells: (o) => [o.metadata.name, age(o.metadata.creationTimestamp)] };
  }
}

function rowObject(obj: KubeObject, includeObject: string): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function buildTable(def: ResourceDef, objects: KubeObject[], resourceVersion: string, includeObject: string | null, withHeaders = true): unknown {
  const { columns, cells } = columnsFor(def);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withHeaders ? columns : [],
    rows: objects.map((o) => ({ cells: cells(o as Obj), object: rowObject(o, includeObject ?? 'Metadata') })),
  };
}
