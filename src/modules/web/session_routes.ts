/**
 * `/-/session`: sign in, ask who is signed in (and get the CSRF token after a reload),
 * sign out. These are the only endpoints the UI has that the REST API has not; every
 * page then calls `/api/v4` like any script, with the cookie instead of a token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parse } from '../../lib/validate.js';
import { unauthorized } from '../../lib/errors.js';
import { userJson } from '../identity/api.js';
import type { ActiveSession, WebSessions } from './sessions.js';
import { clearedSessionCookie, isSecureRequest, sessionCookie, sessionIdFromCookies } from './cookies.js';
import { requireCsrfToken } from './session_auth.js';
import { NO_STORE_CACHE_CONTROL } from './defaults.js';

export const SESSION_PATH = '/-/session';

const signInBody = z.object({
  token: z.string().trim().min(1, 'is missing: paste a personal access token'),
  // An empty field means "any user": the token alone says who signs in.
  username: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
});

export interface SessionRouteDeps {
  sessions: WebSessions;
  externalUrl: () => string;
}

/** What `/-/session` answers (the UI's type too). */
export type SessionJson = ReturnType<typeof sessionJson>;

function sessionJson(session: ActiveSession) {
  return { user: userJson(session.actor.user, true), csrf_token: session.csrfToken, expires_at: session.expiresAt.toISOString() };
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { sessions } = deps;
  const secure = (request: FastifyRequest) => isSecureRequest(request, deps.externalUrl());

  function noStore(reply: FastifyReply) {
    reply.header('Cache-Control', NO_STORE_CACHE_CONTROL);
  }

  app.post(SESSION_PATH, async function signIn(request, reply) {
    noStore(reply);
    const body = parse(signInBody, request.body);
    const session = await sessions.signIn(body);
    request.log.info({ userId: session.actor.user.id }, 'web session started');
    reply.header('Set-Cookie', sessionCookie(session.sessionId, session.expiresAt, secure(request)));
    return reply.status(201).send(sessionJson(session));
  });

  app.get(SESSION_PATH, async function currentSession(request, reply) {
    noStore(reply);
    const sessionId = sessionIdFromCookies(request);
    if (sessionId === undefined) throw unauthorized('401 Unauthorized: you are not signed in');
    try {
      return sessionJson(await sessions.resolve(sessionId));
    } catch (err) {
      // The browser keeps an ended session's cookie until told otherwise.
      reply.header('Set-Cookie', clearedSessionCookie(secure(request)));
      throw err;
    }
  });

  app.delete(SESSION_PATH, async function signOut(request, reply) {
    noStore(reply);
    const sessionId = sessionIdFromCookies(request);
    if (sessionId !== undefined) {
      // Another site must not be able to sign the user out either.
      requireCsrfToken(request, sessionId);
      await sessions.signOut(sessionId);
      request.log.info('web session ended');
    }
    reply.header('Set-Cookie', clearedSessionCookie(secure(request)));
    return reply.status(204).send();
  });
}
