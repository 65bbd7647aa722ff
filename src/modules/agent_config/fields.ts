/**
 * Typed reads of single values, each reporting a wrong type as an error that names the
 * key, the expected type and what was found. They return undefined after an error so
 * the caller can go on and report the other problems of the file too.
 */
import { describeValue, formatPath, type Path } from './describe.js';
import type { Reporter } from './report.js';

export function reportType(reporter: Reporter, path: Path, expected: string, found: unknown): void {
  // YAML reads unquoted 123, 1.5 or true as numbers and booleans, which surprises people.
  const hint = typeof found === 'number' || typeof found === 'boolean' ? `; put it in quotes to make it a string` : '';
  const fix = /^a (non-empty )?string/.test(expected) ? hint : '';
  reporter.error(path, `${formatPath(path)} must be ${expected}, not ${describeValue(found)}${fix}.`);
}

/** A string that is not empty (after trimming spaces). */
export function readNonEmptyString(value: unknown, path: Path, reporter: Reporter, expected = 'a non-empty string'): string | undefined {
  if (typeof value !== 'string') {
    reportType(reporter, path, expected, value);
    return undefined;
  }
  if (value.trim() === '') {
    reporter.error(path, `${formatPath(path)} is empty; it must be ${expected}.`);
    return undefined;
  }
  return value;
}

export function readBoolean(value: unknown, path: Path, reporter: Reporter): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    // `yes`, `on`, `"true"`: YAML 1.2 (unlike 1.1) reads these as strings, never as booleans.
    reporter.error(path, `${formatPath(path)} must be a boolean, not ${describeValue(value)}; write true or false, without quotes.`);
    return undefined;
  }
  reportType(reporter, path, 'a boolean (true or false)', value);
  return undefined;
}

/** A list of non-empty strings; `allowEmpty` says whether `[]` is acceptable. */
export function readStringList(
  value: unknown,
  path: Path,
  reporter: Reporter,
  options: { allowEmpty: boolean; emptyFix?: string },
): string[] | undefined {
  if (!Array.isArray(value)) {
    reportType(reporter, path, 'a list of strings', value);
    return undefined;
  }
  if (value.length === 0 && !options.allowEmpty) {
    reporter.error(path, `${formatPath(path)} is an empty list; ${options.emptyFix ?? 'list at least one value or remove the key'}.`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  value.forEach(function readItem(item, i) {
    const text = readNonEmptyString(item, [...path, i], reporter);
    if (text === undefined) ok = false;
    else out.push(text);
  });
  return ok ? out : undefined;
}
