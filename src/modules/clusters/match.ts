/**
 * Which certificate-based cluster a CI job deploys to (GitLab's `deployment_platform`):
 * among the enabled clusters whose environment scope matches the job's environment, the
 * most specific level wins (project > nearest group > farther group > instance), and
 * within a level an exact scope beats a wildcard one, which beats `*`. Pure, so the
 * rules are tested in a table.
 */
import { environmentMatches } from '../agent_config/index.js';

export interface ScopedCluster {
  id: number;
  environmentScope: string;
  enabled: boolean;
  /** 0 for the project, 1 for its group, 2 for the group above, …; instance clusters last. */
  depth: number;
}

export const INSTANCE_DEPTH = Number.MAX_SAFE_INTEGER;

/**
 * `*` matches any run of characters, anchored at both ends (GitLab turns the scope into
 * a SQL LIKE pattern, which is anchored too). A job without environment matches only `*`.
 */
export function environmentScopeMatches(scope: string, environment: string | null): boolean {
  if (environment === null) return scope === '*';
  return environmentMatches(scope, environment);
}

/** Higher is more specific: an exact name, then wildcards by how much they pin down, `*` last. */
function scopeSpecificity(scope: string): number {
  if (scope === '*') return 0;
  if (!scope.includes('*')) return Number.MAX_SAFE_INTEGER;
  return 1 + scope.replaceAll('*', '').length;
}

export function pickCluster<T extends ScopedCluster>(clusters: readonly T[], environment: string | null): T | undefined {
  const matching = clusters.filter((c) => c.enabled && environmentScopeMatches(c.environmentScope, environment));
  matching.sort(function mostSpecificFirst(a, b) {
    return a.depth - b.depth || scopeSpecificity(b.environmentScope) - scopeSpecificity(a.environmentScope) || a.id - b.id;
  });
  return matching[0];
}

/**
 * GitLab's default namespace for a project's deployments, `<project path>-<project id>`,
 * made a valid Kubernetes namespace name (Gitlab::NamespaceSanitizer).
 */
export function defaultNamespace(projectPath: string, projectId: number): string {
  return sanitizeNamespace(`${projectPath}-${projectId}`);
}

/** Lower case, `-` for anything else, no leading or trailing `-`, at most 63 characters. */
export function sanitizeNamespace(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '-')
    .replace(/^-+/, '');
  return name.slice(0, 63).replace(/-+$/, '');
}
