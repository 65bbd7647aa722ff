/**
 * Why an id matched nothing, for the warning. GitLab drops such ids silently; people
 * then wonder why their job has no context. The usual causes are a URL, a trailing
 * slash, a numeric id, a project name without its group, or a project listed as a group.
 */
export type TargetKind = 'project' | 'group';

export interface IdDiagnosis {
  /** Says what is wrong with the id as written. */
  reason: string;
  /** A path that may be what was meant, to look up and suggest when it exists. */
  candidate?: string;
}

export function diagnoseId(id: string, kind: TargetKind, configProjectRootNamespace: string): IdDiagnosis {
  if (id !== id.trim()) return { reason: 'it has spaces around it', candidate: id.trim() };
  const url = urlPath(id);
  if (url !== undefined) return { reason: 'it is a URL, and ids are full paths', candidate: url };
  if (/^\d+$/.test(id)) return { reason: 'it is a number, and ids are full paths, not numeric ids' };
  if (id.startsWith('/') || id.endsWith('/')) return { reason: 'it starts or ends with "/"', candidate: id.replace(/^\/+|\/+$/g, '') };
  if (id.endsWith('.git')) return { reason: 'it ends with ".git"', candidate: id.slice(0, -'.git'.length) };
  if (kind === 'project' && !id.includes('/')) {
    return { reason: 'a project id is its full path, with its group or user namespace', candidate: `${configProjectRootNamespace}/${id}` };
  }
  return { reason: `no ${kind} has this full path` };
}

/** `https://host/group/project.git` or `host.tld/group/-/tree/main` → `group/project`. */
function urlPath(id: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(id);
  // Without a scheme only obvious host names count: group paths may contain dots too (`my.team/app`).
  const hostLike = /^(www|gitlab)\.[^/]+\//i.test(id) && !withScheme;
  if (!withScheme && !hostLike) return undefined;
  let pathname: string;
  try {
    pathname = new URL(withScheme ? id : `https://${id}`).pathname;
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(pathname)
    .replace(/\/-\/.*$/, '')
    .replace(/\.git\/?$/, '')
    .replace(/^\/+|\/+$/g, '');
  return path === '' ? undefined : path;
}
