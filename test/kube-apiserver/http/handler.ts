// The HTTP entry point for every non-upgrade request: filter chain, then
// routing to discovery, OpenAPI, reviews, pod logs, proxies or CRUD/watch.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { VIRTUAL_KINDS } from '../api/resources.js';
import { ApiError, badRequest, toApiError } from '../api/status.js';
import type { SimContext } from '../context.js';
import { handleTokenRequest } from '../controllers/sa-tokens.js';
import { handleLogs } from '../pods/logs-http.js';
import { handleServiceProxy } from '../streams/service-proxy.js';
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery, wantsAggregated } from './aggregated-discovery.js';
import { handleCrud } from './crud.js';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, versionInfo } from './discovery.js';
import { writeError, writeJson } from './io.js';
import { openApiV3GroupVersion, openApiV3Root } from './openapi.js';
import { identify, recordRequest, requestUrl } from './pipeline.js';
import { handleReview } from './reviews.js';
import { handleWatch } from './watch.js';

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

export function createRequestHandler(ctx: SimContext) {
  return async function handleKubeRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const record = recordRequest(ctx, req, url);
    // Streams (watch, logs -f) log their status when headers go out, not when they end.
    res.on('finish', () => {
      if (record.code === 0) record.code = res.statusCode;
    });
    try {
      await ctx.tokens.consultWebhook(req);
      await ctx.holds.wait({ method: req.method ?? 'GET', path: url.pathname });
      const identified = identify(ctx, req, url, record);
      await route(ctx, req, res, url, identified);
      if (res.headersSent && record.code === 0) record.code = res.statusCode;
    } catch (err) {
      const apiErr = toApiError(err);
      if (apiErr.code >= 500) console.error('kube-apiserver simulator: internal error', err);
      record.code = apiErr.code;
      writeError(res, apiErr);
    }
  };
}

async function route(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, identified: ReturnType<typeof identify>): Promise<void> {
  const { info, user } = identified;
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (!info.isResourceRequest) {
    if (path === '/version') return writeJson(res, 200, versionInfo());
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if ((path === '/api' || path === '/apis') && wantsAggregated(req)) {
      return writeJson(res, 200, aggregatedDiscovery(ctx.registry, path === '/api'), AGGREGATED_CONTENT_TYPE);
    }
    if (path === '/api') return writeJson(res, 200, coreVersions());
    if (path === '/apis') return writeJson(res, 200, apiGroupList(ctx.registry));
    if (path === '/openapi/v3') return writeJson(res, 200, openApiV3Root(ctx.registry));
    const oapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (oapi) {
      const doc = oapi[1] ? openApiV3GroupVersion(ctx.registry, '', oapi[1]) : openApiV3GroupVersion(ctx.registry, oapi[2]!, oapi[3]!);
      if (doc) return writeJson(res, 200, doc);
      throw notFoundPath();
    }
    if (info.apiPrefix === 'api' && info.apiVersion) {
      const list = apiResourceList(ctx.registry, '', info.apiVersion);
      if (list) return writeJson(res, 200, list);
    }
    if (info.apiPrefix === 'apis' && info.apiGroup && !info.apiVersion) {
      const group = apiGroup(ctx.registry, info.apiGroup);
      if (group) return writeJson(res, 200, group);
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch) {
      const group = apiGroup(ctx.registry, groupMatch[1]!);
      if (group) return writeJson(res, 200, group);
    }
    if (info.apiPrefix === 'apis' && info.apiVersion) {
      const list = apiResourceList(ctx.registry, info.apiGroup, info.apiVersion);
      if (list) return writeJson(res, 200, list);
    }
    throw notFoundPath();
  }

  const def = ctx.registry.byResource(info.apiGroup, info.apiVersion, info.resource);
  if (!def) throw notFoundPath();
  if (!def.namespaced && info.namespace && info.resource !== 'namespaces') throw notFoundPath();
  if (VIRTUAL_KINDS.has(def.kind)) return handleReview(ctx, req, res, info, def, user);
  if (info.subresource && !def.subresources.includes(info.subresource)) throw notFoundPath();

  if (def.group === '' && def.plural === 'pods') {
    if (info.subresource === 'log') return handleLogs(ctx, req, res, url, info);
    if (['exec', 'attach', 'portforward'].includes(info.subresource)) {
      throw badRequest('Upgrade request required');
    }
  }
  if (def.group === '' && def.plural === 'serviceaccounts' && info.subresource === 'token') return handleTokenRequest(ctx, req, res, info);
  if (info.subresource === 'proxy') return handleServiceProxy(ctx, req, res, url, info, def);
  if (info.verb === 'watch') return handleWatch(ctx, req, res, url, info, def);
  return handleCrud(ctx, req, res, url, info, def);
}
