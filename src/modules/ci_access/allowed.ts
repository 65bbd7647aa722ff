/**
 * Which agents a CI job may use, and on what terms (DESIGN.md §4). A pure function of
 * the job's facts and the agents' configurations in force, so every rule is tested in a
 * table without a database.
 *
 * 1. Candidates: agents of the job's own project (implicit grant), agents listing the
 *    project in `ci_access.projects`, agents listing a group above it in `ci_access.groups`.
 * 2. A grant counts only within one root namespace (top-level group or user).
 * 3. Per agent only the most specific entry counts: project entry > implicit grant >
 *    nearest group > farther group. Entries are never merged: if the most specific one
 *    refuses the job, a broader one does not rescue it.
 * 4. That entry's `environments` must match the job's environment (anchored `*`); a job
 *    without an environment fails an entry that lists environments;
 *    `protected_branches_only` needs a protected ref.
 */
import type { AccessAs, AgentConfig, CiAccessEntry } from '../agent_config/types.js';
import { environmentMatches } from '../agent_config/environment_match.js';

export interface AgentCandidate {
  agent: { id: number; name: string };
  configProject: { id: number; fullPath: string };
  config: AgentConfig;
}

export interface JobFacts {
  projectId: number;
  projectFullPath: string;
  /** Full paths of the groups above the project, nearest first. */
  groupPaths: readonly string[];
  environment: { name: string } | null;
  refProtected: boolean;
}

export type GrantSource = 'project' | 'implicit' | 'group';

export interface Grant {
  agent: AgentCandidate['agent'];
  configProject: AgentCandidate['configProject'];
  source: GrantSource;
  /** The entry that granted access; absent for the implicit grant. */
  entry?: CiAccessEntry;
  accessAs: AccessAs;
  defaultNamespace?: string | undefined;
}

/** Why an agent that had a matching entry still refused the job (for logs and errors). */
export interface Refusal {
  agent: AgentCandidate['agent'];
  reason: string;
}

export function allowedAgents(job: JobFacts, candidates: readonly AgentCandidate[]): { grants: Grant[]; refusals: Refusal[] } {
  const grants: Grant[] = [];
  const refusals: Refusal[] = [];
  const jobRoot = rootOf(job.projectFullPath);
  for (const candidate of candidates) {
    if (rootOf(candidate.configProject.fullPath) !== jobRoot) continue;
    const match = mostSpecific(job, candidate);
    if (!match) continue;
    if (match.source === 'implicit') {
      grants.push({ agent: candidate.agent, configProject: candidate.configProject, source: 'implicit', accessAs: { kind: 'agent' } });
      continue;
    }
    const refusal = refuses(job, match.entry);
    if (refusal) {
      refusals.push({ agent: candidate.agent, reason: refusal });
      continue;
    }
    grants.push({
      agent: candidate.agent,
      configProject: candidate.configProject,
      source: match.source,
      entry: match.entry,
      accessAs: match.entry.access_as,
      defaultNamespace: match.entry.default_namespace,
    });
  }
  return { grants, refusals };
}

type Match = { source: 'implicit' } | { source: 'project' | 'group'; entry: CiAccessEntry };

function mostSpecific(job: JobFacts, candidate: AgentCandidate): Match | null {
  const projectPath = job.projectFullPath.toLowerCase();
  const projectEntry = lastWithId(candidate.config.ci_access.projects, projectPath);
  if (projectEntry) return { source: 'project', entry: projectEntry };
  if (candidate.configProject.id === job.projectId) return { source: 'implicit' };
  for (const group of job.groupPaths) {
    const entry = lastWithId(candidate.config.ci_access.groups, group.toLowerCase());
    if (entry) return { source: 'group', entry };
  }
  return null;
}

/** Duplicate ids: the last one counts (the parser warns about them). */
function lastWithId(entries: readonly CiAccessEntry[], pathLower: string): CiAccessEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.id.toLowerCase() === pathLower) return entries[i];
  }
  return undefined;
}

function refuses(job: JobFacts, entry: CiAccessEntry): string | null {
  if (entry.environments !== undefined) {
    if (!job.environment) return `the entry for ${entry.id} (line ${entry.line}) lists environments and the job has none`;
    if (!entry.environments.some((p) => environmentMatches(p, job.environment!.name))) {
      return `environment "${job.environment.name}" is not among the entry's environments (${entry.environments.join(', ')})`;
    }
  }
  if (entry.protected_branches_only && !job.refProtected) return `the entry for ${entry.id} (line ${entry.line}) allows protected branches only`;
  return null;
}

function rootOf(fullPath: string): string {
  return fullPath.split('/')[0]!.toLowerCase();
}
