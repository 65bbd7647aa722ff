/**
 * Validation of the refs and file paths users give the files API (and that in-process
 * callers pass to the reader). Both end up in git's argv or on its stdin, so anything
 * that could be read as an option, a revision expression or a second line is refused.
 */
import { badRequest } from '../../lib/errors.js';
import { MAX_PATH_LENGTH, MAX_REF_LENGTH } from './defaults.js';

/**
 * Why `ref` is not a usable branch, tag, commit id or `HEAD`, or null when it is. The
 * rules are `git check-ref-format`'s, minus `@{…}` and the other revision syntax
 * (`~`, `^`, `:`), which a ref name cannot hold anyway.
 */
export function invalidRef(ref: string): string | null {
  if (ref.length === 0) return 'is empty';
  if (ref.length > MAX_REF_LENGTH) return `is longer than ${MAX_REF_LENGTH} characters`;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return "cannot contain spaces, control characters or any of ~ ^ : ? * [ \\";
  if (ref.startsWith('-')) return "cannot start with '-'";
  if (ref === '@' || ref.includes('@{')) return "cannot be '@' or contain '@{'";
  if (ref.includes('..')) return "cannot contain '..'";
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return "cannot start or end with '/' or contain '//'";
  if (ref.endsWith('.') || ref.endsWith('.lock')) return "cannot end with '.' or '.lock'";
  if (ref.split('/').some((part) => part.startsWith('.'))) return "cannot have a part that starts with '.'";
  return null;
}

/**
 * Why `path` is not a usable path of a file in a repository, or null. Paths are
 * relative to the repository's root, `/`-separated, without `.` or `..` parts.
 */
export function invalidFilePath(path: string): string | null {
  if (path.length === 0) return 'is empty';
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (/[\x00-\x1f\x7f]/.test(path)) return 'cannot contain control characters';
  if (path.startsWith('-')) return "cannot start with '-'";
  if (path.startsWith('/') || path.endsWith('/') || path.includes('//')) return "cannot start or end with '/' or contain '//'";
  if (path.split('/').some((part) => part === '.' || part === '..')) return "cannot contain '.' or '..' parts";
  return null;
}

/** `ref`, or a 400 that names the field and the problem. */
export function validateRef(ref: string, field = 'ref'): string {
  const problem = invalidRef(ref);
  if (problem) throw badRequest(`${field} ${problem}; give a branch, a tag or a commit id`);
  return ref;
}

/** `path`, or a 400 that names the field and the problem. */
export function validateFilePath(path: string, field = 'file_path'): string {
  const problem = invalidFilePath(path);
  if (problem) throw badRequest(`${field} ${problem}; give the path from the repository root, URL-encoded (e.g. .gitlab%2Fagents%2Fa%2Fconfig.yaml)`);
  return path;
}

/** A full object id (SHA-1 or SHA-256), as git prints them. */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Whether `ref` could be an abbreviated or full commit id. */
export function looksLikeObjectId(ref: string): boolean {
  return /^[0-9a-fA-F]{4,64}$/.test(ref);
}
