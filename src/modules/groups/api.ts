import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Namespace } from '../../store/schema.js';
import { freeText, idLike, intLike, parse } from '../../lib/validate.js';
import { unauthorized } from '../../lib/errors.js';
import { paginate } from '../../lib/http.js';
import type { GroupService } from './server.js';
import type { MemberService } from '../identity/members.js';
import type { Policy } from '../identity/policy.js';
import { VISIBILITIES } from './visibility.js';

const newGroup = z.object({
  name: z.string(),
  path: z.string(),
  parent_id: idLike.nullable().optional(),
  visibility: z.enum(VISIBILITIES as ['private', 'internal', 'public']).optional(),
  description: freeText(2000).optional(),
});

export const newMember = z.object({ user_id: idLike, access_level: intLike });

/** `fullName`: the names of the group's ancestors and its own, root first, joined by ` / ` (GroupService#fullNames). */
export function groupJson(group: Namespace, fullName: string, externalUrl: string) {
  return {
    id: group.id,
    name: group.name,
    path: group.path,
    full_path: group.full_path,
    full_name: fullName,
    description: group.description,
    visibility: group.visibility,
    parent_id: group.parent_id,
    web_url: `${externalUrl}/groups/${group.full_path}`,
    created_at: group.created_at,
  };
}

export function memberJson(m: { id: number; username: string; name: string; state: string; access_level: number; created_at: string }) {
  return { id: m.id, username: m.username, name: m.name, state: m.state, access_level: m.access_level, created_at: m.created_at };
}

export interface GroupRouteDeps {
  groups: GroupService;
  members: MemberService;
  policy: Policy;
  /** The external URL, read per request (it is only known once the server listens). */
  externalUrl: () => string;
}

export function registerGroupRoutes(app: FastifyInstance, deps: GroupRouteDeps): void {
  const { groups, members, policy, externalUrl } = deps;
  /** Renders a page of groups; their full names take one query for the whole page. */
  const render = async (list: readonly Namespace[]) => {
    const names = await groups.fullNames(list);
    return list.map((g) => groupJson(g, names.get(g.id)!, externalUrl()));
  };

  app.post('/api/v4/groups', async function createGroup(request, reply) {
    const body = parse(newGroup, request.body);
    const group = await groups.create(request.actor, body);
    const [json] = await render([group]);
    return reply.status(201).send(json);
  });

  app.get('/api/v4/groups', async function listGroups(request, reply) {
    const all = await groups.listVisible(request.actor);
    return render(paginate(reply, request.query, all));
  });

  app.get<{ Params: { id: string } }>('/api/v4/groups/:id', async function getGroup(request) {
    const [json] = await render([await groups.findVisible(request.actor, request.params.id)]);
    return json;
  });

  app.get<{ Params: { id: string } }>('/api/v4/groups/:id/subgroups', async function listSubgroups(request, reply) {
    const group = await groups.findVisible(request.actor, request.params.id);
    const children = await groups.listVisible(request.actor, { parentId: group.id });
    return render(paginate(reply, request.query, children));
  });

  app.post<{ Params: { id: string } }>('/api/v4/groups/:id/members', async function addGroupMember(request, reply) {
    // Writes need a signed-in caller: 401 before any lookup, as GitLab's authenticate!.
    if (!request.actor.user) throw unauthorized();
    const group = await groups.findVisible(request.actor, request.params.id);
    const body = parse(newMember, request.body);
    const level = await policy.namespaceAccess(request.actor.user, group.id);
    await members.add(level, { kind: 'namespace', id: group.id, fullPath: group.full_path }, body.user_id, body.access_level);
    const added = (await members.list({ kind: 'namespace', id: group.id, fullPath: group.full_path })).find((m) => m.id === body.user_id)!;
    return reply.status(201).send(memberJson(added));
  });

  app.get<{ Params: { id: string } }>('/api/v4/groups/:id/members', async function listGroupMembers(request, reply) {
    const group = await groups.findVisible(request.actor, request.params.id);
    const rows = await members.list({ kind: 'namespace', id: group.id, fullPath: group.full_path });
    return paginate(reply, request.query, rows).map(memberJson);
  });
}
