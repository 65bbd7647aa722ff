/**
 * `access_as` of a CI access entry: exactly one of `agent`, `ci_job` or `impersonate`
 * (DESIGN.md §4). Several modes, or none, is an error: guessing which one was meant could
 * hand a job the agent's own ServiceAccount.
 */
import { describeValue, formatPath, isMapping, quote, type Path } from './describe.js';
import { readNonEmptyString, readStringList, reportType } from './fields.js';
import { rejectUnknownKeys } from './keys.js';
import type { Reporter } from './report.js';
import { closestKey } from './suggest.js';
import type { AccessAs, ImpersonateExtra } from './types.js';

const MODES = ['agent', 'ci_job', 'impersonate'] as const;
const IMPERSONATE_KEYS = ['username', 'uid', 'groups', 'extra'] as const;
const EXTRA_KEYS = ['key', 'val'] as const;

export const DEFAULT_ACCESS_AS: AccessAs = { kind: 'agent' };

export function readAccessAs(value: unknown, path: Path, reporter: Reporter): AccessAs | undefined {
  if (!isMapping(value)) {
    reporter.error(
      path,
      `${formatPath(path)} must be a mapping with exactly one of "agent", "ci_job" or "impersonate" (for example \`ci_job: {}\`), not ${describeValue(value)}.`,
    );
    return undefined;
  }
  const before = reporter.errors.length;
  rejectUnknownKeys(value, path, MODES, reporter);
  const modes = MODES.filter((mode) => Object.hasOwn(value, mode));
  // A misspelled mode was just reported with its suggestion; "sets none" would only repeat it.
  if (modes.length === 0 && reporter.errors.length > before) return undefined;
  if (modes.length !== 1) {
    const found = modes.length === 0 ? 'none' : modes.map((m) => quote(m)).join(' and ');
    reporter.error(path, `${formatPath(path)} must set exactly one of "agent", "ci_job" or "impersonate", but sets ${found}; keep only the one you mean.`);
    return undefined;
  }
  const mode = modes[0]!;
  const body = value[mode];
  if (mode === 'impersonate') return readImpersonate(body, [...path, mode], reporter);
  // `agent: {}` and `ci_job: {}` carry no settings; an empty value means the same.
  if (body === null || body === undefined) return { kind: mode };
  if (!isMapping(body)) {
    reportType(reporter, [...path, mode], 'an empty mapping ({})', body);
    return undefined;
  }
  rejectUnknownKeys(body, [...path, mode], [], reporter);
  return Object.keys(body).length === 0 ? { kind: mode } : undefined;
}

function readImpersonate(value: unknown, path: Path, reporter: Reporter): AccessAs | undefined {
  if (!isMapping(value)) {
    reporter.error(path, `${formatPath(path)} must be a mapping with at least "username", not ${describeValue(value)}.`);
    return undefined;
  }
  const before = reporter.errors.length;
  rejectUnknownKeys(value, path, IMPERSONATE_KEYS, reporter);
  let username: string | undefined;
  if (Object.hasOwn(value, 'username')) username = readNonEmptyString(value.username, [...path, 'username'], reporter);
  // After `user: jane` was reported with "did you mean username?", "needs username" would only repeat it.
  else if (!Object.keys(value).some((key) => closestKey(key, IMPERSONATE_KEYS) === 'username')) {
    reporter.error(path, `${formatPath(path)} needs "username": the Kubernetes user the agent impersonates.`);
  }
  const uid = Object.hasOwn(value, 'uid') ? readNonEmptyString(value.uid, [...path, 'uid'], reporter) : undefined;
  const groups = Object.hasOwn(value, 'groups') ? readStringList(value.groups, [...path, 'groups'], reporter, { allowEmpty: true }) : [];
  const extra = Object.hasOwn(value, 'extra') ? readExtra(value.extra, [...path, 'extra'], reporter) : [];
  if (reporter.errors.length > before || username === undefined || groups === undefined || extra === undefined) return undefined;
  warnPrivilegedIdentities(username, groups, path, reporter);
  const out: AccessAs = { kind: 'impersonate', username, groups, extra };
  if (uid !== undefined) out.uid = uid;
  return out;
}

/**
 * Kubernetes keeps the `system:` prefix for its own identities: `system:masters` bypasses
 * RBAC altogether, `system:admin` and the `system:node…`/`system:kube-…` users carry
 * built-in rights. A configuration that impersonates one hands every job it grants those
 * rights, and whoever can push to the configuration project's default branch can write
 * one. Allowed (the cluster owner may mean it), but never silently.
 */
function warnPrivilegedIdentities(username: string, groups: readonly string[], path: Path, reporter: Reporter): void {
  const warn = (at: Path, name: string) => {
    const masters = name.toLowerCase() === 'system:masters' ? '; system:masters bypasses RBAC entirely' : '';
    reporter.warning(
      at,
      `${formatPath(at)} is ${quote(name)}, a built-in Kubernetes identity (the "system:" prefix is reserved${masters}): every job this entry grants acts with its rights in the cluster. Impersonate a user or group bound to a narrower Role instead, and keep the configuration project's default branch protected.`,
    );
  };
  if (isSystemIdentity(username)) warn([...path, 'username'], username);
  groups.forEach(function warnGroup(group, i) {
    if (isSystemIdentity(group)) warn([...path, 'groups', i], group);
  });
}

function isSystemIdentity(name: string): boolean {
  return name.toLowerCase().startsWith('system:');
}

/** `extra: [{key: …, val: [...]}]`, as in GitLab's configuration. */
function readExtra(value: unknown, path: Path, reporter: Reporter): ImpersonateExtra[] | undefined {
  if (!Array.isArray(value)) {
    reportType(reporter, path, 'a list of mappings with "key" and "val"', value);
    return undefined;
  }
  const before = reporter.errors.length;
  const out: ImpersonateExtra[] = [];
  value.forEach(function readExtraItem(item, i) {
    const itemPath = [...path, i];
    if (!isMapping(item)) {
      reportType(reporter, itemPath, 'a mapping with "key" and "val"', item);
      return;
    }
    rejectUnknownKeys(item, itemPath, EXTRA_KEYS, reporter);
    if (!Object.hasOwn(item, 'key')) reporter.error(itemPath, `${formatPath(itemPath)} needs "key": the name of the extra attribute.`);
    if (!Object.hasOwn(item, 'val')) reporter.error(itemPath, `${formatPath(itemPath)} needs "val": a list of values.`);
    const key = Object.hasOwn(item, 'key') ? readNonEmptyString(item.key, [...itemPath, 'key'], reporter) : undefined;
    const val = Object.hasOwn(item, 'val') ? readStringList(item.val, [...itemPath, 'val'], reporter, { allowEmpty: false, emptyFix: 'list at least one value' }) : undefined;
    if (key !== undefined && val !== undefined) out.push({ key, val });
  });
  return reporter.errors.length > before ? undefined : out;
}
