/** Kubernetes name rules the configuration refers to. */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label: what a namespace name must be (lower case, digits, `-`, at most 63). */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** Why `name` is not a valid namespace name, in words a user can act on; undefined if it is. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long and the limit is 63`;
  if (/[A-Z]/.test(name) && isDnsLabel(name.toLowerCase())) return 'it has upper-case letters; namespace names are lower case';
  if (!/^[-a-z0-9]*$/.test(name)) return 'it may contain only lower-case letters, digits and "-"';
  if (!DNS_LABEL.test(name)) return 'it must start and end with a letter or digit';
  return undefined;
}
