/**
 * The subset of `.helmignore` that `helm package` honours and a chart needs: one pattern a
 * line, `#` comments, `*` and `?` wildcards, a trailing `/` for directories, and patterns
 * without a `/` matching a file's or directory's base name at any depth.
 */
export type IgnoreRule = (relativePath: string, isDirectory: boolean) => boolean;

export function parseHelmignore(text: string): IgnoreRule {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(compilePattern);
  return function ignored(relativePath, isDirectory) {
    return rules.some((rule) => rule(relativePath, isDirectory));
  };
}

function compilePattern(pattern: string): IgnoreRule {
  const directoryOnly = pattern.endsWith('/');
  const body = pattern.replace(/\/+$/, '').replace(/^\//, '');
  const anchored = pattern.replace(/\/+$/, '').includes('/');
  const regex = new RegExp(`^${body.split('').map(globChar).join('')}$`);
  return function matches(relativePath, isDirectory) {
    if (directoryOnly && !isDirectory) return false;
    if (anchored) return regex.test(relativePath);
    return regex.test(relativePath.slice(relativePath.lastIndexOf('/') + 1));
  };
}

function globChar(c: string): string {
  if (c === '*') return '[^/]*';
  if (c === '?') return '[^/]';
  return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}
