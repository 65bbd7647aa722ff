// services/<name>[:port]/proxy/<path>: forwards plain HTTP to the target a
// test registered with setServiceTarget (Kubegate's Flux webhook path uses
// this), else 503 like a service without endpoints.

import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDef } from '../api/resources.js';
import { ApiError, notFound } from '../api/status.js';
import type { SimContext } from '../context.js';
import type { RequestInfo } from '../http/request-info.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export async function handleServiceProxy(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, def: ResourceDef): Promise<void> {
  const [name, port] = info.name.split(':') as [string, string | undefined];
  if (def.plural !== 'services') throw notFound(def.group, `${def.plural}/proxy`, info.name);
  ctx.objects.get(def, info.namespace, name);
  const target = ctx.targets.service(info.namespace, name, port);
  if (!target) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${info.name}"`);
  const path = `/${info.rest.map(encodeURIComponent).join('/')}${url.pathname.endsWith('/') && info.rest.length ? '/' : ''}${url.search}`;
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([h]) => !h.startsWith(':') && !HOP_BY_HOP.has(h)));
  // Credentials for the API server are never passed on to the backend.
  delete headers.authorization;
  for (const h of Object.keys(headers)) if (h.startsWith('impersonate-')) delete headers[h];
  headers.host = `${target.host}:${target.port}`;
  await new Promise<void>((resolve) => {
    const upstream = request({ host: target.host, port: target.port, method: req.method, path, headers }, (up) => {
      // Hop-by-hop headers are not forwarded (and are illegal on HTTP/2 responses).
      const headers = Object.fromEntries(Object.entries(up.headers).filter(([h]) => !HOP_BY_HOP.has(h)));
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', resolve);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        const status = new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`).toStatus();
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(status));
      } else res.destroy();
      resolve();
    });
    req.pipe(upstream);
  });
}
