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

/**
 * Why a job did not get an agent it could have reached, for the job to be told
 * (`kubegate ci kubeconfig`, `allowed_agents?include_exclusions=true`).
 */
export type ExclusionReason = 'environment_not_matched' | 'ref_not_protected' | 'other_root_namespace' | 'not_granted';

export interface Exclusion {
  agent: AgentCandidate['agent'];
  configProject: AgentCandidate['configProject'];
  reason: ExclusionReason;
  /** Says what to change, e.g. which entry of which file. */
  message: string;
}

export function allowedAgents(job: JobFacts, candidates: readonly AgentCandidate[]): { grants: Grant[]; refusals: Refusal[]; exclusions: Exclusion[] } {
  const grants: Grant[] = [];
  const refusals: Refusal[] = [];
  const exclusions: Exclusion[] = [];
  const jobRoot = rootOf(job.projectFullPath);
  const exclude = (candidate: AgentCandidate, reason: ExclusionReason, message: string): void => {
    exclusions.push({ agent: candidate.agent, configProject: candidate.configProject, reason, message });
  };
  for (const candidate of candidates) {
    const match = mostSpecific(job, candidate);
    const file = `.gitlab/agents/${candidate.agent.name}/config.yaml`;
    if (rootOf(candidate.configProject.fullPath) !== jobRoot) {
      // Only an agent that names the job's project (or a group of it) could have reached it.
      if (match && match.source !== 'implicit') {
        exclude(candidate, 'other_root_namespace', `its configuration project ${candidate.configProject.fullPath} is in another top-level group than ${job.projectFullPath}; CI access is granted only within one top-level group (register an agent there)`);
      }
      continue;
    }
    if (!match) {
      exclude(candidate, 'not_granted', `${file} in ${candidate.configProject.fullPath} lists neither ${job.projectFullPath} nor a group above it under ci_access; add it there`);
      continue;
    }
    if (match.source === 'implicit') {
      grants.push({ agent: candidate.agent, configProject: candidate.configProject, source: 'implicit', accessAs: { kind: 'agent' } });
      continue;
    }
    const refusal = refuses(job, match.entry);
    if (refusal) {
      refusals.push({ agent: candidate.agent, reason: refusal.message });
      exclude(candidate, refusal.reason, `${file} in ${candidate.configProject.fullPath}: ${refusal.message}`);
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
  return { grants, refusals, exclusions };
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

function refuses(job: JobFacts, entry: CiAccessEntry): { reason: ExclusionReason; message: string } | null {
  if (entry.environments !== undefined) {
    if (!job.environment) {
      return { reason: 'environment_not_matched', message: `the entry for ${entry.id} (line ${entry.line}) lists environments (${entry.environments.join(', ')}) and the job has none; give the job an environment` };
    }
    if (!entry.environments.some((p) => environmentMatches(p, job.environment!.name))) {
      return { reason: 'environment_not_matched', message: `environment "${job.environment.name}" is not among the environments of the entry for ${entry.id} (line ${entry.line}): ${entry.environments.join(', ')}` };
    }
  }
  if (entry.protected_branches_only && !job.refProtected) {
    return { reason: 'ref_not_protected', message: `the entry for ${entry.id} (line ${entry.line}) allows protected branches only, and the job's ref is not protected` };
  }
  return null;
}

function rootOf(fullPath: string): string {
  return fullPath.split('/')[0]!.toLowerCase();
}
