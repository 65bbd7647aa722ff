// Turns a URL + method into the attributes the real server's
// RequestInfoFactory computes: verb, group, version, namespace, resource,
// subresource, name. RBAC and routing both depend on it.

import { fieldSelectorName } from '../api/selectors.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the subresource (services/x/proxy/<rest>). */
  rest: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    rest: [],
  };
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let current = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    if (current.length < 2) return info;
    info.apiGroup = current[0]!;
    current = current.slice(1);
  } else if (current.length < 1) {
    return info;
  }
  info.apiVersion = current[0]!;
  current = current.slice(1);
  if (current.length === 0) return info;
  info.isResourceRequest = true;

  let watchPrefix = false;
  if (current[0] === 'watch') {
    // The deprecated /watch/ path prefix.
    watchPrefix = true;
    current = current.slice(1);
  }
  if (current[0] === 'namespaces') {
    if (current.length > 1) {
      info.namespace = current[1]!;
      if (current.length > 2 && !NAMESPACE_SUBRESOURCES.has(current[2]!)) {
        current = current.slice(2);
      }
    }
  }
  info.resource = current[0] ?? '';
  if (current.length >= 2) info.name = current[1]!;
  if (current.length >= 3) info.subresource = current[2]!;
  if (current.length > 3) info.rest = current.slice(3);
  // /api/v1/namespaces/x keeps namespace=x, like the real factory: RoleBindings in x can grant access to x itself.

  const method_ = method.toUpperCase();
  const watchParam = url.searchParams.get('watch');
  const isWatch = watchPrefix || watchParam === 'true' || watchParam === '1';
  switch (method_) {
    case 'POST':
      info.verb = 'create';
      break;
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? 'get' : 'list';
      if (isWatch) info.verb = 'watch';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
    default:
      info.verb = method.toLowerCase();
  }
  // Connect-style subresources need `create` since 1.30 (AuthorizePodWebsocketUpgradeCreatePermission).
  if (info.resource === 'pods' && ['exec', 'attach', 'portforward'].includes(info.subresource)) info.verb = 'create';
  if ((info.verb === 'list' || info.verb === 'watch') && !info.name) {
    const byName = fieldSelectorName(url.searchParams.get('fieldSelector'));
    if (byName) info.name = byName;
  }
  return info;
}
