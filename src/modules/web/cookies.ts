/**
 * Reading and writing the session cookie. Its flags are the point: HttpOnly (no script,
 * injected or not, reads it), SameSite=Strict (no other site's page sends it), Secure
 * when the server is reached over HTTPS (directly, or behind a TLS-terminating proxy
 * whose external URL is https://), Path=/ and no Domain (this host only).
 */
import { parse as parseCookies, serialize } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './defaults.js';

export function sessionIdFromCookies(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const value = parseCookies(header)[SESSION_COOKIE];
  return value && value.length > 0 ? value : undefined;
}

/** True when the browser reached us over HTTPS, so the cookie must be Secure. */
export function isSecureRequest(request: FastifyRequest, externalUrl: string): boolean {
  return request.protocol === 'https' || externalUrl.startsWith('https:');
}

export function sessionCookie(sessionId: string, expiresAt: Date, secure: boolean): string {
  return serialize(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: expiresAt });
}

/** A cookie that replaces the session cookie with an already-expired empty one. */
export function clearedSessionCookie(secure: boolean): string {
  return serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: new Date(0) });
}
