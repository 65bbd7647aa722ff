import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PersonalAccessToken, User } from '../../store/schema.js';
import { forbidden, unauthorized } from '../../lib/errors.js';
import { booleanLike, intLike, nameText, parse } from '../../lib/validate.js';
import { paginate } from '../../lib/http.js';
import type { Actor, IdentityService } from './server.js';
import { PAT_SCOPES } from './access.js';

const newUser = z.object({
  username: z.string(),
  name: nameText(255),
  email: z.string().email('is not a valid email address').optional(),
  admin: booleanLike.optional(),
});

const newToken = z.object({
  name: nameText(255),
  scopes: z.array(z.enum(PAT_SCOPES)).min(1, `must list at least one of ${PAT_SCOPES.join(', ')}`),
  expires_at: z.iso.date('must be a date like 2027-01-31').optional(),
});

const usersQuery = z.object({ username: z.string().optional() }).passthrough();

export function userJson(user: User, forAdmin: boolean) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    created_at: user.created_at,
    is_admin: user.admin === 1,
    ...(forAdmin ? { email: user.email } : {}),
  };
}

export function tokenJson(row: PersonalAccessToken) {
  return {
    id: row.id,
    name: row.name,
    revoked: row.revoked === 1,
    created_at: row.created_at,
    scopes: JSON.parse(row.scopes) as string[],
    user_id: row.user_id,
    last_used_at: row.last_used_at,
    active: row.revoked === 0 && (row.expires_at === null || row.expires_at > new Date().toISOString().slice(0, 10)),
    expires_at: row.expires_at,
  };
}

function requireAdmin(actor: Actor): void {
  if (!actor.user) throw unauthorized();
  if (!actor.user.admin) throw forbidden('403 Forbidden: only an administrator can do this');
}

export function registerIdentityRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.get('/api/v4/user', async function currentUser(request) {
    if (!request.actor.user) throw unauthorized();
    return userJson(request.actor.user, true);
  });

  app.get('/api/v4/users', async function listUsers(request, reply) {
    if (!request.actor.user) throw unauthorized();
    // GitLab's `?username=` finds one user by name (without regard to case), e.g. to add a member.
    const { username } = parse(usersQuery, request.query);
    const { rows } = await identity.listUsers(0, Number.MAX_SAFE_INTEGER);
    const found = username === undefined ? rows : rows.filter((u) => u.username.toLowerCase() === username.toLowerCase());
    return paginate(reply, request.query, found).map((u) => userJson(u, request.actor.user!.admin === 1));
  });

  app.get<{ Params: { id: string } }>('/api/v4/users/:id', async function getUser(request) {
    const { id } = parse(z.object({ id: intLike }), request.params);
    return userJson(await identity.requireUser(id), request.actor.user?.admin === 1);
  });

  app.post('/api/v4/users', async function createUser(request, reply) {
    requireAdmin(request.actor);
    const body = parse(newUser, request.body);
    const user = await identity.createUser(body);
    return reply.status(201).send(userJson(user, true));
  });

  app.post<{ Params: { id: string } }>('/api/v4/users/:id/personal_access_tokens', async function createToken(request, reply) {
    requireAdmin(request.actor);
    const { id } = parse(z.object({ id: intLike }), request.params);
    const body = parse(newToken, request.body);
    const user = await identity.requireUser(id);
    const { row, token } = await identity.createPersonalAccessToken(user.id, { name: body.name, scopes: body.scopes, expiresAt: body.expires_at });
    return reply.status(201).send({ ...tokenJson(row), token });
  });

  app.get<{ Params: { id: string } }>('/api/v4/users/:id/personal_access_tokens', async function listTokens(request, reply) {
    requireAdmin(request.actor);
    const { id } = parse(z.object({ id: intLike }), request.params);
    const user = await identity.requireUser(id);
    return paginate(reply, request.query, await identity.listPersonalAccessTokens(user.id)).map(tokenJson);
  });

  app.delete<{ Params: { id: string } }>('/api/v4/personal_access_tokens/:id', async function revokeToken(request, reply) {
    if (!request.actor.user) throw unauthorized();
    const { id } = parse(z.object({ id: intLike }), request.params);
    // Users revoke their own tokens; admins anyone's.
    const owner = request.actor.user.admin ? (await identity.tokenOwner(id)) ?? request.actor.user.id : request.actor.user.id;
    await identity.revokePersonalAccessToken(owner, id);
    return reply.status(204).send();
  });
}
