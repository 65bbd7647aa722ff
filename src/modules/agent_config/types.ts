/**
 * The parsed form of `.gitlab/agents/<agent-name>/config.yaml` (DESIGN.md §3). Plain,
 * JSON-serialisable data: the server stores it as the agent's configuration in force and
 * the rest of the program trusts it without re-validating.
 */

/** One problem found in a configuration file, suitable to show to the user as is. */
export interface ConfigProblem {
  /** Reads well alone: starts with "line L, column C: " when the place is known. */
  message: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Where in the document, e.g. `ci_access.projects[2].access_as`. */
  path?: string;
}

/** The identity the agent uses for a CI job's requests (DESIGN.md §4). */
export type AccessAs =
  | { kind: 'agent' }
  | { kind: 'ci_job' }
  | { kind: 'impersonate'; username: string; uid?: string; groups: string[]; extra: ImpersonateExtra[] };

export interface ImpersonateExtra {
  key: string;
  val: string[];
}

/** One entry of `ci_access.projects` or `ci_access.groups`. */
export interface CiAccessEntry {
  /** Full path of the project or group, as written (not resolved, case kept). */
  id: string;
  /** 1-based line of the entry in the file, for messages about it later. */
  line: number;
  default_namespace?: string;
  /** `agent` when the file says nothing. */
  access_as: AccessAs;
  /** Absent: any environment (and jobs without one). Present: never empty. */
  environments?: string[];
  protected_branches_only: boolean;
}

export interface AgentConfig {
  ci_access: {
    projects: CiAccessEntry[];
    groups: CiAccessEntry[];
  };
  flux: {
    /** Absent: the agent's default receiver URL. */
    webhook_receiver_url?: string;
  };
}

export interface ParseResult {
  /** Null exactly when `errors` is not empty: the caller keeps the last good configuration. */
  config: AgentConfig | null;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}
