/**
 * The environment filter of a CI access entry (DESIGN.md §4). `*` matches any run of
 * characters, `/` included and none at all; everything else is literal and
 * case-sensitive; the pattern must match the whole name. GitLab's own match is
 * unanchored, so `prod*` also lets `nonprod` in; that is a bug we do not copy.
 *
 * No regular expression is built: with several `*` a backtracking regex can take
 * polynomial time on hostile names, while this greedy matcher is O(pattern × name) at worst.
 */
export function environmentMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  // Where the last `*` was, and how much of the name it has swallowed so far.
  let star = -1;
  let starEnd = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      starEnd = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      // Let the last `*` take one more character and retry the rest of the pattern.
      p = star + 1;
      n = ++starEnd;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when the entry's environment list lets a job in `environment` (none: undefined) through. */
export function environmentsAllow(environments: readonly string[] | undefined, environment: string | undefined): boolean {
  if (environments === undefined) return true;
  if (environment === undefined) return false;
  return environments.some((pattern) => environmentMatches(pattern, environment));
}
