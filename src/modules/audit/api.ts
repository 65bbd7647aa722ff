import type { FastifyInstance } from 'fastify';
import { forbidden, unauthorized } from '../../lib/errors.js';
import { idLike, pagination, parse } from '../../lib/validate.js';
import type { AuditLog } from './server.js';

const query = pagination.extend({ agent_id: idLike.optional(), job_id: idLike.optional() });

/** `GET /api/v4/audit_events` (administrators): proxied requests, newest first. */
export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get('/api/v4/audit_events', async function listAuditEvents(request, reply) {
    if (!request.actor.user) throw unauthorized();
    if (!request.actor.user.admin) throw forbidden('403 Forbidden: only an administrator can read audit events');
    const q = parse(query, request.query);
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 20;
    const { rows, total } = await audit.list({ agentId: q.agent_id, jobId: q.job_id }, (page - 1) * perPage, perPage);
    const pages = Math.max(1, Math.ceil(total / perPage));
    reply.header('X-Total', String(total)).header('X-Total-Pages', String(pages)).header('X-Page', String(page)).header('X-Per-Page', String(perPage));
    reply.header('X-Next-Page', page < pages ? String(page + 1) : '').header('X-Prev-Page', page > 1 ? String(page - 1) : '');
    return rows;
  });
}
