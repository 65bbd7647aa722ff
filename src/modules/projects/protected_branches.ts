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
