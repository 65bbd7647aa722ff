/**
 * Serves the built UI (`web/dist`, made by Vite in `npm run build`) from the installed
 * package: hashed assets cached for a year, index.html revalidated on every load, and
 * index.html for every client route (see app_shell.ts), each with the security headers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import { servesAppShell } from './app_shell.js';
import { setSecurityHeaders, UI_SECURITY_HEADERS } from './security_headers.js';
import { ASSETS_PREFIX, IMMUTABLE_CACHE_CONTROL, REVALIDATE_CACHE_CONTROL } from './defaults.js';

/** `web/dist` of this package, from `src/modules/web/` (tsx) and `dist/modules/web/` (built) alike. */
export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const INDEX = 'index.html';

export function registerStaticUi(app: FastifyInstance, root: string, logger: Logger): void {
  if (!existsSync(join(root, INDEX))) {
    logger.warn({ root }, 'the web UI is not built, so / answers 503; run `npm run build` (or `npm run build:web`)');
    app.get('/*', function uiNotBuilt(request, reply) {
      if (!servesAppShell(pathOf(request.url))) return reply.callNotFound();
      return reply
        .status(503)
        .headers(UI_SECURITY_HEADERS)
        .header('Cache-Control', REVALIDATE_CACHE_CONTROL)
        .type('text/plain; charset=utf-8')
        .send(`The Kubegate web UI is not built in this installation (${root} has no ${INDEX}).\nRun \`npm run build\`, then restart the server. The REST API at /api/v4 works without it.\n`);
    });
    return;
  }

  void app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start: a missing file falls through to the
    // app-shell route below instead of a filesystem lookup per request.
    wildcard: false,
    index: false,
    cacheControl: false,
    preCompressed: true,
    serveDotFiles: false,
    setHeaders: function uiFileHeaders(res, filePath) {
      setSecurityHeaders(res);
      // A .br or .gz twin may be sent instead (preCompressed): shared caches must keep them apart.
      res.setHeader('Vary', 'Accept-Encoding');
      const hashed = filePath.startsWith(join(root, ASSETS_PREFIX));
      res.setHeader('Cache-Control', hashed ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL);
    },
  });

  app.get('/*', function appShell(request, reply) {
    if (!servesAppShell(pathOf(request.url))) return reply.callNotFound();
    return reply.sendFile(INDEX);
  });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
