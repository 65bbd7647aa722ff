/**
 * Unknown keys. Inside `ci_access` they are errors — a misspelled `protected_branches_only`
 * or `environments` silently widens access — elsewhere they are warnings (DESIGN.md §3).
 */
import { formatPath, quote, type Path } from './describe.js';
import type { Reporter } from './report.js';
import { closestKey } from './suggest.js';

/** The part of the message after the key: the likely intended key, or every valid one. */
export function suggestion(key: string, valid: readonly string[]): string {
  const close = closestKey(key, valid);
  if (close !== undefined) return `did you mean ${quote(close)}?`;
  if (valid.length === 0) return 'nothing may be set here.';
  return `the valid keys here are ${valid.map((k) => quote(k)).join(', ')}.`;
}

/** Reports every key of `value` not in `valid` as an error naming the closest valid key. */
export function rejectUnknownKeys(value: Record<string, unknown>, path: Path, valid: readonly string[], reporter: Reporter): void {
  for (const key of Object.keys(value)) {
    if (valid.includes(key)) continue;
    reporter.error(
      [...path, key],
      `unknown key ${quote(key)} in ${formatPath(path)}: ${suggestion(key, valid)} ` +
        'Keys inside ci_access must be spelled exactly, because a misspelled key could grant more access than intended; fix the key and push again.',
      'key',
    );
  }
}

/** Reports every key of `value` not in `valid` as a warning: the key is ignored. */
export function warnUnknownKeys(value: Record<string, unknown>, path: Path, valid: readonly string[], reporter: Reporter): void {
  for (const key of Object.keys(value)) {
    if (valid.includes(key)) continue;
    reporter.warning([...path, key], `unknown key ${quote(key)} in ${formatPath(path)} is ignored; ${suggestion(key, valid)}`, 'key');
  }
}
