/** One entry of `ci_access.projects` or `ci_access.groups`, checked strictly (DESIGN.md §3). */
import { DEFAULT_ACCESS_AS, readAccessAs } from './access_as.js';
import { describeValue, formatPath, quote, type Path } from './describe.js';
import { readBoolean, readNonEmptyString, readStringList } from './fields.js';
import { rejectUnknownKeys } from './keys.js';
import { namespaceNameProblem } from './kubernetes_names.js';
import type { Reporter } from './report.js';
import type { CiAccessEntry } from './types.js';

export type EntryKind = 'project' | 'group';

const ENTRY_KEYS = ['id', 'default_namespace', 'access_as', 'environments', 'protected_branches_only'] as const;

const ID_EXAMPLE: Record<EntryKind, string> = { project: 'group/project', group: 'group/subgroup' };

/** The entry, or undefined when it has errors (all of them reported). */
export function readCiAccessEntry(value: unknown, path: Path, kind: EntryKind, reporter: Reporter): CiAccessEntry | undefined {
  const line = reporter.position(path)?.line ?? 0;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const fix = typeof value === 'string' ? ` write \`- id: ${value}\`` : ` write \`- id: ${ID_EXAMPLE[kind]}\``;
    reporter.error(path, `${formatPath(path)} must be a mapping with an "id", not ${describeValue(value)};${fix}.`);
    return undefined;
  }
  const entry = value as Record<string, unknown>;
  const before = reporter.errors.length;
  rejectUnknownKeys(entry, path, ENTRY_KEYS, reporter);

  let id: string | undefined;
  if (!Object.hasOwn(entry, 'id')) reporter.error(path, `${formatPath(path)} needs an "id": the full path of the ${kind}, for example \`id: ${ID_EXAMPLE[kind]}\`.`);
  else id = readNonEmptyString(entry.id, [...path, 'id'], reporter, `a string: the full path of the ${kind} (for example ${ID_EXAMPLE[kind]})`);

  const result: Partial<CiAccessEntry> = { line, access_as: DEFAULT_ACCESS_AS, protected_branches_only: false };
  if (Object.hasOwn(entry, 'default_namespace')) result.default_namespace = readNamespace(entry.default_namespace, [...path, 'default_namespace'], reporter);
  if (Object.hasOwn(entry, 'access_as')) result.access_as = readAccessAs(entry.access_as, [...path, 'access_as'], reporter);
  if (Object.hasOwn(entry, 'environments')) {
    result.environments = readStringList(entry.environments, [...path, 'environments'], reporter, {
      allowEmpty: false,
      emptyFix: 'list at least one environment ("*" matches every one) or remove the key to allow jobs in any environment',
    });
  }
  if (Object.hasOwn(entry, 'protected_branches_only')) result.protected_branches_only = readBoolean(entry.protected_branches_only, [...path, 'protected_branches_only'], reporter);

  if (reporter.errors.length > before || id === undefined) return undefined;
  const out: CiAccessEntry = { id, line, access_as: result.access_as!, protected_branches_only: result.protected_branches_only! };
  if (result.default_namespace !== undefined) out.default_namespace = result.default_namespace;
  if (result.environments !== undefined) out.environments = result.environments;
  return out;
}

function readNamespace(value: unknown, path: Path, reporter: Reporter): string | undefined {
  const name = readNonEmptyString(value, path, reporter, 'a string: a Kubernetes namespace name');
  if (name === undefined) return undefined;
  const problem = namespaceNameProblem(name);
  if (problem === undefined) return name;
  reporter.error(path, `${formatPath(path)} ${quote(name)} is not a valid Kubernetes namespace name: ${problem} (RFC 1123 label, for example "my-app").`);
  return undefined;
}
