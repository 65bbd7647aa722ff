import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { pagination, parse } from './validate.js';

export const DEFAULT_PER_PAGE = 20;

/**
 * Cuts a list to the requested page and sets GitLab's pagination headers
 * (`X-Total`, `X-Total-Pages`, `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`).
 */
export function paginate<T>(reply: FastifyReply, query: unknown, rows: readonly T[]): T[] {
  const { page = 1, per_page: perPage = DEFAULT_PER_PAGE } = parse(pagination.passthrough(), query as object) as z.infer<typeof pagination>;
  const total = rows.length;
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  reply.header('X-Total', String(total));
  reply.header('X-Total-Pages', String(totalPages));
  reply.header('X-Page', String(page));
  reply.header('X-Per-Page', String(perPage));
  reply.header('X-Next-Page', page < totalPages ? String(page + 1) : '');
  reply.header('X-Prev-Page', page > 1 ? String(Math.min(page - 1, totalPages)) : '');
  return rows.slice((page - 1) * perPage, page * perPage);
}
