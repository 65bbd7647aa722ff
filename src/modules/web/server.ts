/**
 * The web UI's server side: the built single-page app at `/`, and the browser sessions
 * it signs in with. The UI itself holds no server logic: it calls `/api/v4` like any
 * script, with the session cookie (and a CSRF token on writes) instead of a token.
 * Design and reasons: docs/ui.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../store/schema.js';
import type { IdentityService } from '../identity/server.js';
import { WebSessions, type SessionsOptions } from './sessions.js';
import { sessionCookieAuthentication } from './session_auth.js';
import { registerSessionRoutes } from './session_routes.js';
import { DEFAULT_UI_ROOT, registerStaticUi } from './static.js';

export { WebSessions, csrfTokenFor } from './sessions.js';
export { SESSION_PATH } from './session_routes.js';
export { CONTENT_SECURITY_POLICY, UI_SECURITY_HEADERS } from './security_headers.js';
export { servesAppShell } from './app_shell.js';
export * from './defaults.js';

export interface WebUiDeps {
  db: Kysely<Database>;
  identity: IdentityService;
  /** The external URL, read per request (it is only known once the server listens). */
  externalUrl: () => string;
  logger: Logger;
  /** The built UI; default `web/dist` of this package. */
  root?: string;
  sessions?: SessionsOptions;
}

export interface WebUi {
  sessions: WebSessions;
}

/**
 * Adds the UI to the API's Fastify instance: the session endpoints, the session-cookie
 * authentication of `/api/` (after the token authentication, which wins), and the
 * static files with the app-shell fallback. Call before the server listens.
 */
export function registerWebUi(app: FastifyInstance, deps: WebUiDeps): WebUi {
  const sessions = new WebSessions(deps.db, deps.identity, deps.sessions);
  app.addHook('onRequest', sessionCookieAuthentication(sessions));
  registerSessionRoutes(app, { sessions, externalUrl: deps.externalUrl });
  registerStaticUi(app, deps.root ?? DEFAULT_UI_ROOT, deps.logger.child({ module: 'web' }));
  return { sessions };
}
