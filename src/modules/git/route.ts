/**
 * Which requests are Git smart HTTP: `/<project full path>.git/info/refs?service=…`,
 * `/<…>.git/git-upload-pack` and `/<…>.git/git-receive-pack`, as GitLab serves them.
 */

/** `upload-pack` serves clone and fetch; `receive-pack` serves push. */
export type GitService = 'upload-pack' | 'receive-pack';

export interface GitRoute {
  /** The project's full path, URL-decoded. */
  projectPath: string;
  service: GitService;
  /** `advertise` is `info/refs` (the ref advertisement); `rpc` is the POST that does the work. */
  kind: 'advertise' | 'rpc';
}

/** A request on a Git path that cannot be served: the status and the reason for git to show. */
export interface GitRouteError {
  status: number;
  message: string;
}

const GIT_PATH = /^\/(.+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/**
 * The Git route of a request, an error for a Git path used wrongly (dumb protocol,
 * wrong method), or null when the request is not Git's (Fastify then handles it).
 */
export function matchGitRoute(method: string, url: string): GitRoute | GitRouteError | null {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const m = GIT_PATH.exec(rawPath);
  if (!m) return null;
  let projectPath: string;
  try {
    projectPath = decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
  if (projectPath.startsWith('-/') || projectPath.startsWith('api/') || projectPath.startsWith('/')) return null;
  const action = m[2]!;
  if (action === 'info/refs') {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, message: 'info/refs answers GET only' };
    const service = new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).get('service');
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      return { status: 403, message: 'Kubegate serves Git over the smart HTTP protocol only; use git 1.6.6 or newer and do not force the dumb protocol' };
    }
    return { projectPath, service: service === 'git-upload-pack' ? 'upload-pack' : 'receive-pack', kind: 'advertise' };
  }
  if (method !== 'POST') return { status: 405, message: `${action} answers POST only` };
  return { projectPath, service: action === 'git-upload-pack' ? 'upload-pack' : 'receive-pack', kind: 'rpc' };
}

export function isRouteError(r: GitRoute | GitRouteError): r is GitRouteError {
  return 'status' in r;
}
