/**
 * Users, personal access tokens and who a request speaks for. Everything else asks this
 * module "who is calling?" and the policy module "may they?".
 */
import type { Kysely } from 'kysely';
import { MAX_INT } from '../../lib/validate.js';
import type { Database, PersonalAccessToken, User } from '../../store/schema.js';
import { isUniqueViolation, now, transaction } from '../../store/db.js';
import { KubegateError, badRequest, conflict, isKubegateError, notFound, unauthorized } from '../../lib/errors.js';
import { TOKEN_PREFIX, digestToken, generateToken } from './tokens.js';
import { PAT_SCOPES, type PatScope } from './access.js';
import { validatePath } from '../groups/paths.js';
import { assertPathFree, claimRoute, pathConflict } from '../groups/routes.js';

/** The caller of a request: a user and what their token allows, or nobody. */
export interface Actor {
  user: User | null;
  scopes: ReadonlySet<PatScope>;
}

export const ANONYMOUS: Actor = Object.freeze({ user: null, scopes: new Set<PatScope>() });

export const ROOT_USERNAME = 'root';
export const MIN_ROOT_TOKEN_LENGTH = 20;
/** `last_used_at` is written at most this often per token, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface NewUser {
  username: string;
  name: string;
  email?: string | null | undefined;
  admin?: boolean | undefined;
}

export class IdentityService {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(input: NewUser, db: Kysely<Database> = this.db): Promise<User> {
    // A username is a top-level path (the user's namespace), so the same words are reserved.
    validatePath(input.username, 'username', { topLevel: true });
    return transaction(db, async (trx) => {
      const existing = await trx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
      if (existing) throw conflict(`username "${input.username}" has already been taken; choose another one`);
      const createdAt = now();
      await assertPathFree(trx, input.username);
      const ns = await trx
        .insertInto('namespaces')
        .values({ kind: 'user', name: input.name, path: input.username, full_path: input.username, parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: createdAt })
        .returning('id')
        .executeTakeFirstOrThrow()
        .catch(pathConflict(input.username));
      await claimRoute(trx, input.username, 'namespace', ns.id);
      const user = await trx
        .insertInto('users')
        .values({ username: input.username, name: input.name, email: input.email ?? null, admin: input.admin ? 1 : 0, state: 'active', namespace_id: ns.id, created_at: createdAt })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.updateTable('namespaces').set({ owner_user_id: user.id }).where('id', '=', ns.id).execute();
      return user;
    });
  }

  async findUser(idOrUsername: string | number): Promise<User | undefined> {
    const q = this.db.selectFrom('users').selectAll();
    if (typeof idOrUsername === 'number' || /^\d+$/.test(idOrUsername)) {
      const id = Number(idOrUsername);
      // An id beyond what the store holds names nobody (and must not reach PostgreSQL).
      return id > MAX_INT ? undefined : q.where('id', '=', id).executeTakeFirst();
    }
    return q.where('username', '=', idOrUsername).executeTakeFirst();
  }

  async requireUser(id: number): Promise<User> {
    const user = await this.findUser(id);
    if (!user) throw notFound('User');
    return user;
  }

  async listUsers(offset: number, limit: number): Promise<{ rows: User[]; total: number }> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('id').offset(offset).limit(limit).execute();
    const { count } = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('count')).executeTakeFirstOrThrow();
    return { rows, total: Number(count) };
  }

  /**
   * Creates a personal access token. `token` is only for the root token given in the
   * environment; otherwise a fresh one is generated. Returns the secret once.
   */
  async createPersonalAccessToken(
    userId: number,
    input: { name: string; scopes: PatScope[]; expiresAt?: string | null | undefined; token?: string | undefined },
    db: Kysely<Database> = this.db,
  ) {
    for (const s of input.scopes) {
      if (!PAT_SCOPES.includes(s)) throw badRequest(`scopes: "${s}" is not a valid scope; use one of ${PAT_SCOPES.join(', ')}`);
    }
    if (input.scopes.length === 0) throw badRequest(`scopes: at least one scope is required (${PAT_SCOPES.join(', ')})`);
    const token = input.token ?? generateToken(TOKEN_PREFIX.personal);
    const row = await db
      .insertInto('personal_access_tokens')
      .values({ user_id: userId, name: input.name, token_digest: digestToken(token), scopes: JSON.stringify(input.scopes), expires_at: input.expiresAt ?? null, revoked: 0, created_at: now(), last_used_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row, token };
  }

  async revokePersonalAccessToken(userId: number, tokenId: number): Promise<void> {
    const res = await this.db.updateTable('personal_access_tokens').set({ revoked: 1 }).where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('Personal Access Token');
  }

  async tokenOwner(tokenId: number): Promise<number | undefined> {
    const row = await this.db.selectFrom('personal_access_tokens').select('user_id').where('id', '=', tokenId).executeTakeFirst();
    return row?.user_id;
  }

  async listPersonalAccessTokens(userId: number) {
    return this.db.selectFrom('personal_access_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  }

  /**
   * Resolves a personal access token to its user. Unknown, revoked and expired tokens,
   * and blocked users, are refused with a message that says which and what to do.
   */
  async authenticate(token: string): Promise<Actor> {
    return (await this.authenticateWithTokenId(token)).actor;
  }

  /** As `authenticate`, also naming the token (a web session is tied to the token it began with). */
  async authenticateWithTokenId(token: string): Promise<{ actor: Actor; tokenId: number }> {
    const row = await this.db
      .selectFrom('personal_access_tokens')
      .selectAll()
      .where('token_digest', '=', digestToken(token))
      .executeTakeFirst();
    if (!row) throw unauthorized('401 Unauthorized: the token is not valid; check it or create a new personal access token');
    return { actor: await this.actorForToken(row), tokenId: row.id };
  }

  /**
   * The caller a stored token speaks for, with the same checks as `authenticate`: a web
   * session ends when its token is revoked or expires, or its user is blocked.
   */
  async authenticateTokenId(tokenId: number): Promise<Actor> {
    const row = await this.db.selectFrom('personal_access_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
    if (!row) throw unauthorized('401 Unauthorized: the token this session was signed in with no longer exists; sign in again');
    return this.actorForToken(row);
  }

  private async actorForToken(row: PersonalAccessToken): Promise<Actor> {
    if (row.revoked) throw unauthorized('401 Unauthorized: the token has been revoked; create a new personal access token');
    if (row.expires_at && row.expires_at <= new Date().toISOString().slice(0, 10)) {
      throw unauthorized('401 Unauthorized: the token has expired; create a new personal access token');
    }
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
    if (!user) throw unauthorized();
    if (user.state !== 'active') throw new KubegateError('forbidden', `403 Forbidden: user ${user.username} is blocked`);
    const current = Date.now();
    if (!row.last_used_at || current - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
      await this.db.updateTable('personal_access_tokens').set({ last_used_at: new Date(current).toISOString() }).where('id', '=', row.id).execute();
    }
    return { user, scopes: new Set(JSON.parse(row.scopes) as PatScope[]) };
  }

  /**
   * On first start, creates the root admin with the given token or a generated one.
   * Returns the generated token so it can be printed once; undefined when root existed
   * already or the token came from the environment.
   */
  async ensureRoot(rootToken: string | undefined): Promise<{ created: boolean; generatedToken?: string }> {
    if (rootToken !== undefined && rootToken.length < MIN_ROOT_TOKEN_LENGTH) {
      throw badRequest(`KUBEGATE_ROOT_TOKEN must be at least ${MIN_ROOT_TOKEN_LENGTH} characters; use a long random string`);
    }
    try {
      return await transaction(this.db, async (trx) => {
        const existing = await trx.selectFrom('users').select('id').where('username', '=', ROOT_USERNAME).executeTakeFirst();
        if (existing) return { created: false };
        const root = await this.createUser({ username: ROOT_USERNAME, name: 'Administrator', admin: true }, trx);
        const { token } = await this.createPersonalAccessToken(root.id, { name: 'root', scopes: ['api', 'read_repository', 'write_repository'], token: rootToken }, trx);
        return rootToken === undefined ? { created: true, generatedToken: token } : { created: true };
      });
    } catch (err) {
      // Replicas starting together on one PostgreSQL: another one created root first.
      const lost = (isKubegateError(err) && err.code === 'conflict') || isUniqueViolation(err);
      if (lost && (await this.findUser(ROOT_USERNAME))) return { created: false };
      throw err;
    }
  }
}
