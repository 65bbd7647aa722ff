/**
 * GitLab's path and name rules, with the reasons in the messages. Paths appear in URLs
 * (`/<group>/<project>.git`, `/api/v4/projects/<full path>`), so a few are reserved.
 */
import { badRequest } from '../../lib/errors.js';

export const MAX_PATH_LENGTH = 255;
export const MAX_NESTING_DEPTH = 20;

const PATH_CHARS = /^[A-Za-z0-9_.-]+$/;

/** Top-level paths that would hide the server's own routes. */
export const RESERVED_TOP_LEVEL = new Set([
  '-', '.well-known', 'admin', 'api', 'assets', 'dashboard', 'explore', 'favicon.ico', 'favicon.png', 'groups',
  'health_check', 'help', 'import', 'jwt', 'login', 'metrics', 'oauth', 'profile', 'projects', 'public', 'robots.txt',
  's', 'search', 'sitemap', 'snippets', 'static', 'uploads', 'users', 'v2', 'ui', 'root-assets',
]);

/** Paths no project or subgroup may take: they are route words inside a namespace. */
export const RESERVED_ANYWHERE = new Set(['-', 'badges', 'blame', 'blob', 'commits', 'create', 'edit', 'files', 'find_file', 'git-receive-pack', 'git-upload-pack', 'info', 'objects', 'HEAD', 'new', 'preview', 'raw', 'refs', 'tree', 'update', 'wikis']);

/** Throws a 400 that names `field` and the broken rule; returns the path otherwise. */
export function validatePath(path: unknown, field = 'path', opts: { topLevel?: boolean } = {}): string {
  if (typeof path !== 'string' || path.length === 0) throw badRequest(`${field} is missing`);
  if (path.length > MAX_PATH_LENGTH) throw badRequest(`${field} is too long (maximum is ${MAX_PATH_LENGTH} characters)`);
  if (!PATH_CHARS.test(path)) throw badRequest(`${field} can contain only letters, digits, '_', '-' and '.'`);
  if (!/^[A-Za-z0-9_]/.test(path)) throw badRequest(`${field} must start with a letter, digit or '_'`);
  if (path.endsWith('.')) throw badRequest(`${field} cannot end with '.'`);
  if (/[._-]{2}/.test(path)) throw badRequest(`${field} cannot contain consecutive special characters ('.', '_', '-')`);
  const lower = path.toLowerCase();
  if (lower.endsWith('.git') || lower.endsWith('.atom')) throw badRequest(`${field} cannot end in '.git' or '.atom'`);
  if (RESERVED_ANYWHERE.has(path) || (opts.topLevel && RESERVED_TOP_LEVEL.has(lower))) {
    throw badRequest(`${field} "${path}" is a reserved name; choose another one`);
  }
  return path;
}

const NAME_CHARS = /^[\p{L}\p{N}\p{Emoji_Presentation}_.+() -]+$/u;

export function validateName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim().length === 0) throw badRequest(`${field} is missing`);
  if (name.length > MAX_PATH_LENGTH) throw badRequest(`${field} is too long (maximum is ${MAX_PATH_LENGTH} characters)`);
  if (!NAME_CHARS.test(name)) {
    throw badRequest(`${field} can contain only letters, digits, emoji, '_', '.', '+', dashes, spaces and parentheses`);
  }
  if (!/^[\p{L}\p{N}\p{Emoji_Presentation}_]/u.test(name)) throw badRequest(`${field} must start with a letter, digit, emoji or '_'`);
  return name;
}

/** A path made from a name, as GitLab does when only a name is given. */
export function pathFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[^a-z0-9_]+|[^a-z0-9_-]+$/g, '')
    .replace(/-+$/g, '');
}
