// The slice of API validation Kubegate's tests can trip over: names,
// containers and deployment selectors. Failures are 422 Invalid like the real
// server's field errors.

import { invalid, type StatusCause } from './status.js';
import type { ResourceDef } from './resources.js';
import { isPlainObject, type KubeObject } from './types.js';
import { matchesLabelSelectorObject } from './selectors.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkName(def: ResourceDef, name: string, causes: StatusCause[]): void {
  // RBAC objects allow path-segment names such as `system:basic-user`.
  if (def.group === 'rbac.authorization.k8s.io') {
    if (name.includes('/') || name.includes('%') || name === '.' || name === '..') {
      causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/' or '%'` });
    }
    return;
  }
  const label = def.kind === 'Namespace' || def.kind === 'Service';
  const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    const what = label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${what}` });
  }
}

function checkContainers(spec: unknown, field: string, causes: StatusCause[]): void {
  const containers = isPlainObject(spec) ? spec.containers : undefined;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({ reason: 'FieldValueRequired', field: `${field}.containers`, message: 'Required value' });
    return;
  }
  containers.forEach((c: Record<string, unknown>, i) => {
    if (!c.name) causes.push({ reason: 'FieldValueRequired', field: `${field}.containers[${i}].name`, message: 'Required value' });
    if (!c.image) causes.push({ reason: 'FieldValueRequired', field: `${field}.containers[${i}].image`, message: 'Required value' });
  });
}

export function validateObject(def: ResourceDef, obj: KubeObject): void {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (!name) causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else checkName(def, name, causes);
  if (def.group === '' && def.kind === 'Pod') checkContainers(obj.spec, 'spec', causes);
  if (def.group === 'apps' && ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(def.kind)) {
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    const template = (spec.template ?? {}) as Record<string, unknown>;
    const selector = spec.selector as Parameters<typeof matchesLabelSelectorObject>[0] | undefined;
    if (!selector) causes.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
    else {
      const labels = ((template.metadata ?? {}) as { labels?: Record<string, string> }).labels;
      if (!matchesLabelSelectorObject(selector, labels)) {
        causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels ?? {})}: \`selector\` does not match template \`labels\`` });
      }
    }
    checkContainers(template.spec, 'spec.template.spec', causes);
  }
  if (causes.length > 0) throw invalid(def.group, def.kind, name, causes);
}
