/**
 * Server-side sessions of the web UI. Signing in with a personal access token creates a
 * session; the browser holds only its random id (in an HttpOnly cookie), the store only
 * the id's digest. A session speaks for the token it began with: that token's scopes
 * apply, and revoking it, its expiry or a blocked user ends the session at once.
 *
 * The CSRF token is derived from the session id (an HMAC keyed by it), so it needs no
 * storage, differs from everything stored, and can only be known by a page that asked
 * the server with the cookie: another site can send the cookie (not with SameSite=Strict,
 * but older browsers) yet never read the token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { forbidden, unauthorized } from '../../lib/errors.js';
import type { Actor, IdentityService } from '../identity/server.js';
import { digestToken, generateToken } from '../identity/tokens.js';
import { SESSION_ID_PREFIX, SESSION_TTL_MS } from './defaults.js';

export interface SessionsOptions {
  /** How long a session lasts from sign-in. */
  ttlMs?: number;
  /** Milliseconds since the epoch; injectable so that tests can move time. */
  clock?: () => number;
}

/** A session as its owner may see it: never the id, which lives in the cookie only. */
export interface ActiveSession {
  actor: Actor & { user: NonNullable<Actor['user']> };
  csrfToken: string;
  expiresAt: Date;
}

export class WebSessions {
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly identity: IdentityService,
    options: SessionsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Signs in with a personal access token (and optionally the user name it must belong
   * to). Returns the new session's id, for the cookie, once.
   */
  async signIn(input: { token: string; username?: string | undefined }): Promise<ActiveSession & { sessionId: string }> {
    const { actor, tokenId } = await this.identity.authenticateWithTokenId(input.token);
    const user = actor.user!;
    if (input.username !== undefined && input.username.toLowerCase() !== user.username.toLowerCase()) {
      throw unauthorized(`401 Unauthorized: this token does not belong to user "${input.username}"; check the user name or leave it empty`);
    }
    if (!actor.scopes.has('api') && !actor.scopes.has('read_api')) {
      throw forbidden('403 Forbidden: this token has neither the api nor the read_api scope, so the web UI cannot use it; create a token with the api scope');
    }
    const current = this.clock();
    // Expired sessions are removed on the way (there is no background job to do it).
    await this.db.deleteFrom('web_sessions').where('expires_at', '<=', new Date(current).toISOString()).execute();
    const sessionId = generateToken(SESSION_ID_PREFIX);
    const expiresAt = new Date(current + this.ttlMs);
    await this.db
      .insertInto('web_sessions')
      .values({ id_digest: digestToken(sessionId), user_id: user.id, token_id: tokenId, created_at: new Date(current).toISOString(), expires_at: expiresAt.toISOString() })
      .execute();
    return { sessionId, actor: { ...actor, user }, csrfToken: csrfTokenFor(sessionId), expiresAt };
  }

  /** The session of a cookie value; a 401 that says why when there is none or it ended. */
  async resolve(sessionId: string): Promise<ActiveSession> {
    const row = await this.db.selectFrom('web_sessions').selectAll().where('id_digest', '=', digestToken(sessionId)).executeTakeFirst();
    if (!row) throw unauthorized('401 Unauthorized: your session has ended (signed out, or unknown to this server); sign in again');
    if (Date.parse(row.expires_at) <= this.clock()) {
      await this.db.deleteFrom('web_sessions').where('id', '=', row.id).execute();
      throw unauthorized(`401 Unauthorized: your session expired at ${row.expires_at}; sign in again`);
    }
    const actor = await this.identity.authenticateTokenId(row.token_id);
    return { actor: actor as ActiveSession['actor'], csrfToken: csrfTokenFor(sessionId), expiresAt: new Date(row.expires_at) };
  }

  /** Ends a session; an unknown id is already ended. */
  async signOut(sessionId: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('id_digest', '=', digestToken(sessionId)).execute();
  }
}

export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('kubegate csrf token').digest('base64url');
}

/** Constant-time check of a CSRF header against the session's token. */
export function csrfTokenMatches(sessionId: string, given: string): boolean {
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
