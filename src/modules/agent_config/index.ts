/**
 * The agent configuration file, `.gitlab/agents/<agent-name>/config.yaml` (DESIGN.md §3):
 * parse and validate it, resolve its CI access ids, and match environments (§4).
 * Pure code with no server dependencies, so both sides may use it.
 */
export { parseAgentConfig } from './parse.js';
export { resolveCiAccess } from './resolve.js';
export type { CiAccessLookups, CiAccessTarget, ResolvedCiAccess, ResolvedCiAccessEntry } from './resolve.js';
export { environmentMatches, environmentsAllow } from './environment_match.js';
export { MAX_CONFIG_BYTES, MAX_CI_ACCESS_GROUPS, MAX_CI_ACCESS_PROJECTS } from './defaults.js';
export type { AccessAs, AgentConfig, CiAccessEntry, ConfigProblem, ImpersonateExtra, ParseResult } from './types.js';
