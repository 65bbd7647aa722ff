/**
 * The REST API's second way in: the web UI's session cookie. It is tried only when the
 * request carries no token (a token in the headers always wins), and only on `/api/`.
 *
 * A cookie is sent by the browser on its own, so it alone proves nothing about who wrote
 * the request: every state-changing request must also carry the session's CSRF token in
 * `X-CSRF-Token`, which only the UI's own pages can read. GET and HEAD need none (they
 * change nothing, and another site cannot read their answers).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../../lib/errors.js';
import type { WebSessions } from './sessions.js';
import { csrfTokenMatches } from './sessions.js';
import { sessionIdFromCookies } from './cookies.js';
import { CSRF_HEADER } from './defaults.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/** Throws a 403 unless a state-changing request carries the session's CSRF token. */
export function requireCsrfToken(request: FastifyRequest, sessionId: string): void {
  if (isSafeMethod(request.method)) return;
  const given = request.headers[CSRF_HEADER.toLowerCase()];
  if (typeof given !== 'string' || given.length === 0) {
    throw forbidden(`403 Forbidden: the ${CSRF_HEADER} header is missing; a ${request.method} request signed in by the session cookie must carry the CSRF token the sign-in returned (scripts should send a personal access token instead)`);
  }
  if (!csrfTokenMatches(sessionId, given)) {
    throw forbidden(`403 Forbidden: the ${CSRF_HEADER} header does not match this session; reload the page to get the current token`);
  }
}

/** An `onRequest` hook, added after the API's own (which reads tokens from the headers). */
export function sessionCookieAuthentication(sessions: WebSessions) {
  return async function authenticateSessionCookie(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (request.actor.user !== null) return;
    if (!request.url.startsWith('/api/')) return;
    // A CI job speaks for itself (`JOB-TOKEN`); a browser cookie beside it changes nothing.
    if (request.headers['job-token'] !== undefined) return;
    const sessionId = sessionIdFromCookies(request);
    if (sessionId === undefined) return;
    const session = await sessions.resolve(sessionId);
    requireCsrfToken(request, sessionId);
    // The token the session began with decides what it may do, as the API does for tokens.
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if (!session.actor.scopes.has('api') && !(reading && session.actor.scopes.has('read_api'))) {
      throw forbidden(`403 Forbidden: insufficient_scope: you signed in with a token without the ${reading ? 'api or read_api' : 'api'} scope`);
    }
    request.actor = session.actor;
  };
}
