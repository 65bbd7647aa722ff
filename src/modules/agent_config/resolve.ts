/**
 * The second step after parsing: matching `ci_access` ids against the server's projects
 * and groups. Pure apart from the lookups the caller passes (the database), so the rules
 * can be tested with a table of paths. An id that matches nothing, or that is in another
 * top-level group than the configuration project, grants nothing and gets a warning.
 */
import { quote } from './describe.js';
import { diagnoseId, type TargetKind } from './id_forms.js';
import type { AgentConfig, CiAccessEntry, ConfigProblem } from './types.js';

/** A project or group found by full path. */
export interface CiAccessTarget {
  id: number;
  /** As stored, with its casing. */
  fullPath: string;
  /** Full path of its top-level group or user namespace. */
  rootNamespace: string;
}

/**
 * How ids are looked up. Both lookups must match full paths case-insensitively and
 * return undefined when nothing matches; they may be synchronous or return a promise.
 */
export interface CiAccessLookups {
  findProject(fullPath: string): CiAccessTarget | undefined | Promise<CiAccessTarget | undefined>;
  findGroup(fullPath: string): CiAccessTarget | undefined | Promise<CiAccessTarget | undefined>;
  /** Root namespace of the agent's configuration project: grants stop at its border. */
  configProjectRootNamespace: string;
}

export interface ResolvedCiAccessEntry extends CiAccessEntry {
  target: { id: number; fullPath: string };
}

export interface ResolvedCiAccess {
  /** Only the entries that grant something, in file order. */
  projects: ResolvedCiAccessEntry[];
  groups: ResolvedCiAccessEntry[];
  /** One per entry that grants nothing, saying why and what to write instead. */
  warnings: ConfigProblem[];
}

export async function resolveCiAccess(config: AgentConfig, lookups: CiAccessLookups): Promise<ResolvedCiAccess> {
  const warnings: ConfigProblem[] = [];
  const projects = await resolveList(config.ci_access.projects, 'project', lookups, warnings);
  const groups = await resolveList(config.ci_access.groups, 'group', lookups, warnings);
  warnings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { projects, groups, warnings };
}

async function resolveList(
  entries: CiAccessEntry[],
  kind: TargetKind,
  lookups: CiAccessLookups,
  warnings: ConfigProblem[],
): Promise<ResolvedCiAccessEntry[]> {
  const results = await Promise.all(entries.map((entry) => resolveEntry(entry, kind, lookups)));
  const out: ResolvedCiAccessEntry[] = [];
  for (const result of results) {
    if ('warning' in result) warnings.push(result.warning);
    else out.push(result.entry);
  }
  return out;
}

type EntryResult = { entry: ResolvedCiAccessEntry } | { warning: ConfigProblem };

async function resolveEntry(entry: CiAccessEntry, kind: TargetKind, lookups: CiAccessLookups): Promise<EntryResult> {
  const list = kind === 'project' ? 'ci_access.projects' : 'ci_access.groups';
  const grantsNothing = `line ${entry.line}: ${list} id ${quote(entry.id)} grants nothing`;
  const warning = (text: string): EntryResult => ({ warning: { message: `${grantsNothing}: ${text}`, line: entry.line, path: list } });

  const found = await find(kind, entry.id, lookups);
  if (found) {
    const root = lookups.configProjectRootNamespace;
    if (found.rootNamespace.toLowerCase() === root.toLowerCase()) {
      return { entry: { ...entry, target: { id: found.id, fullPath: found.fullPath } } };
    }
    return warning(
      `${quote(found.fullPath)} is in another top-level group (${quote(found.rootNamespace)}) than the agent's configuration project (${quote(root)}); ` +
        `an agent can only be shared within its own top-level group, so install another agent for ${quote(found.rootNamespace)}.`,
    );
  }

  const diagnosis = diagnoseId(entry.id, kind, lookups.configProjectRootNamespace);
  if (diagnosis.candidate !== undefined) {
    const meant = await find(kind, diagnosis.candidate, lookups);
    if (meant) return warning(`${diagnosis.reason}; did you mean ${quote(meant.fullPath)}?`);
  }
  // Listed under the wrong heading: say so, since that is an easy fix.
  const other: TargetKind = kind === 'project' ? 'group' : 'project';
  const otherFound = await find(other, entry.id, lookups);
  if (otherFound) return warning(`${quote(otherFound.fullPath)} is a ${other}; move the entry to ci_access.${other}s.`);
  return warning(`${diagnosis.reason}; write the ${kind}'s full path as shown on its page (for example ${quote(example(kind, lookups))}).`);
}

function find(kind: TargetKind, path: string, lookups: CiAccessLookups): Promise<CiAccessTarget | undefined> {
  return Promise.resolve(kind === 'project' ? lookups.findProject(path) : lookups.findGroup(path));
}

function example(kind: TargetKind, lookups: CiAccessLookups): string {
  return kind === 'project' ? `${lookups.configProjectRootNamespace}/my-project` : lookups.configProjectRootNamespace;
}
