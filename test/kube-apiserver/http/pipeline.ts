// The filter chain every request passes, HTTP or upgrade alike:
// authenticate → impersonate → request info → authorize. Mirrors the order
// of the real server so failures have the same status codes.

import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../api/types.js';
import { hasImpersonation, impersonate } from '../auth/impersonation.js';
import { forbiddenError, type Attributes } from '../auth/rbac.js';
import type { RequestRecord, SimContext } from '../context.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';

export interface Identified {
  authenticatedUser: UserInfo;
  user: UserInfo;
  impersonated: boolean;
  info: RequestInfo;
  record: RequestRecord;
}

export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'https://kube-apiserver.invalid');
}

/** The request log keeps the newest entries only, so long benchmarks do not grow memory without bound. */
export const REQUEST_LOG_LIMIT = 10_000;

/** Adds a request to the log; the caller fills in `code` when the response is known. */
export function recordRequest(ctx: SimContext, req: IncomingMessage, url: URL): RequestRecord {
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const record: RequestRecord = {
    time: new Date().toISOString(),
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.search,
    verb: info.verb,
    authenticatedUser: { username: '', groups: [] },
    user: { username: '', groups: [] },
    impersonated: false,
    namespace: info.namespace,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
    code: 0,
    httpVersion: req.httpVersion,
  };
  if (req.headers.upgrade) record.upgrade = req.headers.upgrade;
  ctx.requests.push(record);
  if (ctx.requests.length > REQUEST_LOG_LIMIT) ctx.requests.splice(0, ctx.requests.length - REQUEST_LOG_LIMIT);
  return record;
}

/** Runs the filter chain, filling in the record; throws ApiError on any refusal. */
export function identify(ctx: SimContext, req: IncomingMessage, url: URL, record: RequestRecord): Identified {
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const authenticatedUser = ctx.tokens.authenticate(req);
  record.authenticatedUser = authenticatedUser;
  record.user = authenticatedUser;
  const impersonated = hasImpersonation(req.headers);
  const user = impersonated ? impersonate(authenticatedUser, req.rawHeaders, ctx.rbac) : authenticatedUser;
  record.user = user;
  record.impersonated = impersonated;
  const attrs = attributesOf(user, info);
  if (!ctx.rbac.authorize(attrs)) throw forbiddenError(attrs);
  return { authenticatedUser, user, impersonated, info, record };
}

export function attributesOf(user: UserInfo, info: RequestInfo): Attributes {
  return {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    apiGroup: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  };
}
