/**
 * The `ci_access` of an agent's configuration in force, as the API shows it: the
 * projects and groups whose CI/CD jobs the agent serves, in the file's own terms
 * (`access_as: {ci_job: {}}`), so a reader can compare it with the file line by line.
 */
import type { AccessAs, AgentConfig, CiAccessEntry } from '../agent_config/index.js';

export interface CiAccessEntryJson {
  id: string;
  default_namespace: string | null;
  access_as: Record<string, unknown>;
  environments: string[] | null;
  protected_branches_only: boolean;
}

export interface CiAccessJson {
  projects: CiAccessEntryJson[];
  groups: CiAccessEntryJson[];
}

function accessAsJson(accessAs: AccessAs): Record<string, unknown> {
  if (accessAs.kind !== 'impersonate') return { [accessAs.kind]: {} };
  const { username, uid, groups, extra } = accessAs;
  return { impersonate: { username, ...(uid !== undefined ? { uid } : {}), groups, extra } };
}

function entryJson(entry: CiAccessEntry): CiAccessEntryJson {
  return {
    id: entry.id,
    default_namespace: entry.default_namespace ?? null,
    access_as: accessAsJson(entry.access_as),
    environments: entry.environments ?? null,
    protected_branches_only: entry.protected_branches_only,
  };
}

export function ciAccessJson(config: AgentConfig): CiAccessJson {
  return { projects: config.ci_access.projects.map(entryJson), groups: config.ci_access.groups.map(entryJson) };
}
