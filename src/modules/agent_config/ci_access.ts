/**
 * The `ci_access` section: which projects and groups may use the agent from CI/CD jobs.
 * Strict (unknown keys and wrong types are errors) because every mistake here is about
 * who gets into the cluster. Limits and duplicates follow DESIGN.md §3.
 */
import { readCiAccessEntry, type EntryKind } from './ci_access_entry.js';
import { formatPath, isMapping, plural, quote, type Path } from './describe.js';
import { MAX_CI_ACCESS_GROUPS, MAX_CI_ACCESS_PROJECTS } from './defaults.js';
import { reportType } from './fields.js';
import { rejectUnknownKeys } from './keys.js';
import type { Reporter } from './report.js';
import type { AgentConfig, CiAccessEntry } from './types.js';

const CI_ACCESS_KEYS = ['projects', 'groups'] as const;

export function readCiAccess(value: unknown, reporter: Reporter): AgentConfig['ci_access'] {
  const empty = { projects: [], groups: [] };
  // `ci_access:` with nothing under it grants nothing, like no section at all.
  if (value === null || value === undefined) return empty;
  if (!isMapping(value)) {
    reportType(reporter, ['ci_access'], 'a mapping with "projects" and/or "groups"', value);
    return empty;
  }
  rejectUnknownKeys(value, ['ci_access'], CI_ACCESS_KEYS, reporter);
  return {
    projects: readEntryList(value.projects, ['ci_access', 'projects'], 'project', MAX_CI_ACCESS_PROJECTS, reporter),
    groups: readEntryList(value.groups, ['ci_access', 'groups'], 'group', MAX_CI_ACCESS_GROUPS, reporter),
  };
}

function readEntryList(value: unknown, path: Path, kind: EntryKind, limit: number, reporter: Reporter): CiAccessEntry[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    reportType(reporter, path, `a list of mappings, each with an id (\`- id: ${kind === 'project' ? 'group/project' : 'group'}\`)`, value);
    return [];
  }
  if (value.length > limit) {
    const ignored = value.length - limit;
    const from = reporter.position([...path, limit])?.line;
    reporter.warning(
      [...path, limit],
      `${formatPath(path)} has ${value.length} entries and only the first ${limit} are used: ${plural(ignored, 'entry', 'entries')}` +
        `${from === undefined ? '' : ` from line ${from} on`} ${ignored === 1 ? 'is' : 'are'} ignored; ` +
        `authorize a group instead of its projects one by one, or share the list with another agent.`,
    );
  }
  const entries = value.slice(0, limit).map(function readItem(item, i) {
    return readCiAccessEntry(item, [...path, i], kind, reporter);
  });
  return dropDuplicates(entries, path, reporter);
}

/**
 * The last entry for an id counts (ids compare case-insensitively, as matching does);
 * merging entries would be a guess about which restriction was meant.
 */
function dropDuplicates(entries: Array<CiAccessEntry | undefined>, path: Path, reporter: Reporter): CiAccessEntry[] {
  const lastIndex = new Map<string, number>();
  entries.forEach(function rememberLast(entry, i) {
    if (!entry) return;
    const key = entry.id.toLowerCase();
    const earlier = lastIndex.get(key);
    if (earlier !== undefined) {
      const first = entries[earlier]!;
      reporter.warning(
        [...path, i, 'id'],
        `${quote(entry.id)} is listed twice in ${formatPath(path)} (lines ${first.line} and ${entry.line}): ` +
          `the entry on line ${entry.line} counts and the one on line ${first.line} is ignored; remove one of them.`,
      );
    }
    lastIndex.set(key, i);
  });
  return entries.filter((entry, i): entry is CiAccessEntry => entry !== undefined && lastIndex.get(entry.id.toLowerCase()) === i);
}
