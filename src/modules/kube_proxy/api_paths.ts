/**
 * Which paths the proxy forwards: the Kubernetes API's, and nothing else. The tunnel also
 * carries the server's own requests to the agent (its info endpoint); a job's request must
 * never reach those, whatever its path looks like, so the proxy forwards only paths the
 * Kubernetes API server serves and refuses the rest before anything leaves the server.
 */

/** Path prefixes of the Kubernetes API server (resource APIs, discovery, health, OIDC). */
const API_ROOTS = ['/api', '/apis', '/version', '/openapi', '/healthz', '/livez', '/readyz', '/metrics', '/.well-known/openid-configuration', '/openid/v1/jwks'];

/**
 * Null when `path` (path and query, below the proxy prefix) is a Kubernetes API path the
 * proxy may forward; otherwise why not, worded for kubectl. Dot segments and encoded
 * slashes or dots are refused too: they are how a path that starts like an API path
 * would be made to end somewhere else.
 */
export function refuseNonApiPath(path: string): string | null {
  const pathOnly = path.split('?', 1)[0]!;
  if (/%2f|%2e|%5c|\\/i.test(pathOnly) || pathOnly.split('/').some((segment) => segment === '.' || segment === '..') || pathOnly.includes('//')) {
    return `the path "${truncate(pathOnly)}" has dot segments, doubled or encoded slashes; send a plain Kubernetes API path`;
  }
  const allowed = API_ROOTS.some((root) => pathOnly === root || pathOnly.startsWith(`${root}/`));
  if (allowed) return null;
  return `"${truncate(pathOnly)}" is not a Kubernetes API path; the proxy forwards only ${API_ROOTS.join(', ')} and what lies below them`;
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
