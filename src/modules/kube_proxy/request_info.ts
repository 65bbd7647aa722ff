/**
 * What a Kubernetes API request is about (verb, group, resource, namespace, name), read
 * from its method and path the way the API server does, for audit events.
 */
export interface RequestInfo {
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete', GET: 'get', HEAD: 'get' };

export function requestInfo(method: string, pathWithQuery: string): RequestInfo {
  const [path = '', query = ''] = pathWithQuery.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const info: RequestInfo = { verb: (VERBS[method] ?? method.toLowerCase()), apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    info.apiVersion = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    info.apiGroup = parts[1]!;
    info.apiVersion = parts[2]!;
    rest = parts.slice(3);
  } else {
    // Non-resource URLs (/version, /openapi/v2, /healthz): the path is the "resource".
    info.resource = path;
    return info;
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    info.namespace = rest[1]!;
    rest = rest.slice(2);
  }
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  info.subresource = rest.slice(2).join('/');
  if (info.resource === 'namespaces' && !info.namespace && info.name) info.namespace = info.name;
  if (info.verb === 'get' && !info.name) info.verb = /(^|&)watch=(1|true)(&|$)/.test(query) ? 'watch' : 'list';
  if (info.verb === 'delete' && !info.name) info.verb = 'deletecollection';
  return info;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
