/**
 * Protected branch names may hold `*`, which matches any run of characters (slashes
 * included). The match is anchored: `release-*` protects `release-1`, not `pre-release-1`.
 */
export function branchPatternMatches(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return re.test(branch);
}

export function isProtected(patterns: readonly string[], branch: string): boolean {
  return patterns.some((p) => branchPatternMatches(p, branch));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Git's branch-name rules (`git check-ref-format --branch`), plus `*` for patterns. */
export function invalidBranchPattern(name: string): string | null {
  if (name.length === 0) return 'is missing';
  if (name.length > 255) return 'is too long (maximum is 255 characters)';
  if (/[\s~^:?[\\\x00-\x1f\x7f]/.test(name)) return "cannot contain spaces, '~', '^', ':', '?', '[', '\\' or control characters";
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return "cannot start or end with '/' or contain '//'";
  if (name.startsWith('-')) return "cannot start with '-'";
  if (name.includes('..') || name.includes('@{') || name.endsWith('.') || name.endsWith('.lock')) {
    return "cannot contain '..' or '@{', or end with '.' or '.lock'";
  }
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) {
    return "cannot have a part (between '/') that starts with '.' or ends with '.lock'";
  }
  if (name === '@' || name === 'HEAD') return `cannot be '${name}'`;
  return null;
}

/**
 * GitLab's access levels for protected refs and environments. A role level lets that role
 * and every higher one in; `NO_ONE` lets nobody in (not even administrators: they must
 * change the rule first); `ADMIN` lets only administrators in.
 */
export const PROTECTION_ACCESS = { noOne: 0, developer: 30, maintainer: 40, admin: 60 } as const;

/** The levels a protected branch's `push_access_level` and `merge_access_level` take. */
export const BRANCH_ACCESS_LEVELS: readonly number[] = [PROTECTION_ACCESS.noOne, PROTECTION_ACCESS.developer, PROTECTION_ACCESS.maintainer, PROTECTION_ACCESS.admin];

/** GitLab's `access_level_description` of a level. */
export function accessLevelDescription(level: number): string {
  switch (level) {
    case PROTECTION_ACCESS.noOne:
      return 'No one';
    case 20:
      return 'Reporters + Developers + Maintainers';
    case PROTECTION_ACCESS.developer:
      return 'Developers + Maintainers';
    case PROTECTION_ACCESS.maintainer:
      return 'Maintainers';
    case PROTECTION_ACCESS.admin:
      return 'Administrators';
    default:
      return `access level ${level}`;
  }
}

/** Whether a user with `role` on the project (and `admin` flag) passes `level`. */
export function passesAccessLevel(level: number, role: number, admin: boolean): boolean {
  if (level === PROTECTION_ACCESS.noOne) return false;
  if (level === PROTECTION_ACCESS.admin) return admin;
  return admin || role >= level;
}

export interface BranchRule {
  name: string;
  push_access_level: number;
  merge_access_level: number;
}

export interface BranchPermissions {
  /** Whether any rule matches the branch. */
  protected: boolean;
  push: boolean;
  merge: boolean;
  /** The matching rules, for messages that say who may push or merge. */
  rules: BranchRule[];
}

/**
 * What a user may do on a branch under a project's rules. When several rules match, the
 * most permissive one counts (GitLab's rule): a user may push if any matching rule lets
 * them push. An unprotected branch is open to whoever may push to the project at all.
 */
export function branchPermissions(rules: readonly BranchRule[], branch: string, role: number, admin: boolean): BranchPermissions {
  const matching = rules.filter((r) => branchPatternMatches(r.name, branch));
  if (matching.length === 0) return { protected: false, push: true, merge: true, rules: [] };
  return {
    protected: true,
    push: matching.some((r) => passesAccessLevel(r.push_access_level, role, admin)),
    merge: matching.some((r) => passesAccessLevel(r.merge_access_level, role, admin)),
    rules: matching,
  };
}

/** Who the matching rules let push or merge, in words (`Maintainers`, `No one`…). */
export function whoMay(rules: readonly BranchRule[], action: 'push' | 'merge' | 'push or merge'): string {
  const levels = new Set<number>();
  for (const r of rules) {
    if (action !== 'merge') levels.add(r.push_access_level);
    if (action !== 'push') levels.add(r.merge_access_level);
  }
  // The most permissive level that lets anyone in decides; "No one" only when all say so.
  const open = [...levels].filter((l) => l !== PROTECTION_ACCESS.noOne && l !== PROTECTION_ACCESS.admin).sort((a, b) => a - b);
  if (open.length > 0) return accessLevelDescription(open[0]!);
  return levels.has(PROTECTION_ACCESS.admin) ? accessLevelDescription(PROTECTION_ACCESS.admin) : accessLevelDescription(PROTECTION_ACCESS.noOne);
}
