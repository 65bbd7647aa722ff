/**
 * The UI's URLs, shaped like GitLab's so that the API's `web_url`s open the right page
 * and users' bookmarks carry over: `/groups/<group>`, `/<project>`,
 * `/<project>/-/clusters`, `/<project>/-/cluster_agents/<agent>`, `/<project>/-/blob/<ref>/<file>`.
 * Project paths nest (`a/b/c`), so the router reads them here instead of with patterns:
 * everything before `/-/` is the project, the rest names the page. The query string holds
 * tabs, filters and pages (see each page).
 */

export type Route =
  | { page: 'home' }
  | { page: 'signIn' }
  | { page: 'projects' }
  | { page: 'groups' }
  | { page: 'newProject' }
  | { page: 'newGroup' }
  | { page: 'group'; path: string }
  | { page: 'groupMembers'; path: string }
  | { page: 'project'; path: string }
  | { page: 'projectMembers'; path: string }
  | { page: 'clusters'; path: string }
  | { page: 'connectCluster'; path: string }
  | { page: 'addCertificateCluster'; path: string }
  | { page: 'newEksCluster'; path: string }
  | { page: 'certificateCluster'; path: string; clusterId: number }
  | { page: 'adminSettings' }
  | { page: 'agent'; path: string; agentName: string }
  | { page: 'blob'; path: string; ref: string; filePath: string }
  | { page: 'notFound' };

const STATIC_ROUTES: Record<string, Route> = {
  '/': { page: 'home' },
  '/users/sign_in': { page: 'signIn' },
  '/dashboard/projects': { page: 'projects' },
  '/dashboard/groups': { page: 'groups' },
  '/projects/new': { page: 'newProject' },
  '/groups/new': { page: 'newGroup' },
  // GitLab's Admin Area > Settings > General, where its "Amazon EKS" section is.
  '/admin/application_settings/general': { page: 'adminSettings' },
};

function decodeSegments(path: string): string[] | null {
  try {
    return path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return null;
  }
}

/** The page of a location's pathname (still percent-encoded, as `location.pathname` is). */
export function resolveRoute(pathname: string): Route {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const fixed = STATIC_ROUTES[trimmed];
  if (fixed) return fixed;

  if (trimmed.startsWith('/groups/')) {
    const [groupPart, rest] = splitAtDash(trimmed.slice('/groups/'.length));
    const segments = decodeSegments(groupPart);
    if (!segments || segments.length === 0) return { page: 'notFound' };
    const path = segments.join('/');
    if (rest === null) return { page: 'group', path };
    if (rest === 'group_members') return { page: 'groupMembers', path };
    return { page: 'notFound' };
  }

  const [projectPart, rest] = splitAtDash(trimmed.slice(1));
  const segments = decodeSegments(projectPart);
  if (!segments || segments.length === 0) return { page: 'notFound' };
  const path = segments.join('/');
  if (rest === null) return { page: 'project', path };
  const restSegments = rest.split('/');
  const [first, ...more] = restSegments;
  if (rest === 'project_members') return { page: 'projectMembers', path };
  if (rest === 'clusters') return { page: 'clusters', path };
  if (rest === 'clusters/connect') return { page: 'connectCluster', path };
  if (rest === 'clusters/certificate_based/new') return { page: 'addCertificateCluster', path };
  if (rest === 'clusters/new') return { page: 'newEksCluster', path };
  if (first === 'clusters' && more.length === 1 && /^[1-9]\d{0,9}$/.test(more[0]!)) return { page: 'certificateCluster', path, clusterId: Number(more[0]) };
  if (first === 'cluster_agents' && more.length === 1 && more[0]) {
    const name = decodeSegments(more[0]);
    return name && name[0] ? { page: 'agent', path, agentName: name[0] } : { page: 'notFound' };
  }
  if (first === 'blob' && more.length >= 2) {
    const decoded = decodeSegments(more.join('/'));
    if (!decoded || decoded.length < 2) return { page: 'notFound' };
    const [ref, ...file] = decoded;
    return { page: 'blob', path, ref: ref!, filePath: file.join('/') };
  }
  return { page: 'notFound' };
}

/** `a/b/-/clusters/connect` → [`a/b`, `clusters/connect`]; no `/-/` → [path, null]. */
function splitAtDash(path: string): [string, string | null] {
  const at = path.indexOf('/-/');
  if (at === -1) return [path.endsWith('/-') ? path.slice(0, -2) : path, path.endsWith('/-') ? '' : null];
  return [path.slice(0, at), path.slice(at + 3)];
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function withQuery(url: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

export type ClustersTab = 'agent' | 'certificate_based';
export type AgentTab = 'overview' | 'tokens' | 'activity';

/** Builders for every URL the UI links to; the only place that knows their shape. */
export const paths = {
  home: () => '/',
  signIn: (redirect?: string) => withQuery('/users/sign_in', { redirect }),
  projects: (page?: number) => withQuery('/dashboard/projects', { page: page && page > 1 ? page : undefined }),
  groups: (page?: number) => withQuery('/dashboard/groups', { page: page && page > 1 ? page : undefined }),
  newProject: (namespaceId?: number) => withQuery('/projects/new', { namespace_id: namespaceId }),
  newGroup: (parentId?: number) => withQuery('/groups/new', { parent_id: parentId }),
  group: (path: string) => `/groups/${encodePath(path)}`,
  groupMembers: (path: string) => `/groups/${encodePath(path)}/-/group_members`,
  project: (path: string) => `/${encodePath(path)}`,
  projectMembers: (path: string) => `/${encodePath(path)}/-/project_members`,
  clusters: (path: string, tab: ClustersTab = 'agent') => withQuery(`/${encodePath(path)}/-/clusters`, { tab }),
  connectCluster: (path: string) => `/${encodePath(path)}/-/clusters/connect`,
  addCertificateCluster: (path: string) => `/${encodePath(path)}/-/clusters/certificate_based/new`,
  /** GitLab's "Create new cluster" with Amazon EKS chosen; the creation request, once started, is in the URL so that a reload keeps its external ID. */
  newEksCluster: (path: string, requestId?: number) => withQuery(`/${encodePath(path)}/-/clusters/new`, { provider: 'aws', request_id: requestId }),
  certificateCluster: (path: string, clusterId: number) => `/${encodePath(path)}/-/clusters/${clusterId}`,
  adminSettings: () => '/admin/application_settings/general',
  agent: (path: string, agentName: string, params: { tab?: AgentTab; job_id?: string; page?: number } = {}) =>
    withQuery(`/${encodePath(path)}/-/cluster_agents/${encodeURIComponent(agentName)}`, { tab: params.tab, job_id: params.job_id, page: params.page && params.page > 1 ? params.page : undefined }),
  /** `ref` may hold `/` (a branch); it is one encoded segment, so the file path starts after it. */
  blob: (path: string, ref: string, filePath: string, line?: number) =>
    `/${encodePath(path)}/-/blob/${encodeURIComponent(ref)}/${encodePath(filePath)}${line ? `#L${line}` : ''}`,
};
