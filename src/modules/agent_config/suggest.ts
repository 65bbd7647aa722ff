/**
 * "Did you mean …?" for misspelled keys. Optimal-string-alignment distance (Levenshtein
 * plus transposition of neighbours), compared case-insensitively with `-` and `_` alike,
 * so `default-namespace`, `Projects` and `enviroments` all find their key.
 */

/** Edit distance where swapping two adjacent characters costs one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function normalise(key: string): string {
  return key.toLowerCase().replace(/-/g, '_').trim();
}

/**
 * The valid key closest to `key`, or undefined when none is close enough to be a typo.
 * Close enough: about one edit in three characters (at least one), or one key being a
 * prefix of the other (`user` → `username`, `environment` → `environments`).
 */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  const typed = normalise(key);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const wanted = normalise(candidate);
    const distance = editDistance(typed, wanted);
    const threshold = Math.max(1, Math.floor(Math.max(typed.length, wanted.length) / 3));
    const prefix = typed.length >= 3 && (wanted.startsWith(typed) || typed.startsWith(wanted));
    if ((distance <= threshold || prefix) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
