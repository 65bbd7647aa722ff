/**
 * The audit event of one proxied request (DESIGN.md §4): who (job, pipeline, project,
 * user, agent), what (verb, group, resource, namespace, name), and how it went.
 */
import type { ProxyAuditEvent } from '../audit/server.js';
import type { JobContext } from '../ci_access/jobs.js';
import type { Authorized } from './auth.js';
import { requestInfo } from './request_info.js';

/** Who a request was for, as far as it is known when the event is written. */
export interface AuditSubject {
  ctx: JobContext | null;
  agent: { id: number; name: string } | null;
  accessAs: string;
}

export const NOBODY: AuditSubject = { ctx: null, agent: null, accessAs: '' };

export function subjectOf(auth: Authorized): AuditSubject {
  return { ctx: auth.ctx, agent: auth.grant.agent, accessAs: auth.grant.accessAs.kind };
}

export interface Outcome {
  status: number;
  started: number;
  bytesIn: number;
  bytesOut: number;
  error?: string | undefined;
}

export function auditEvent(subject: AuditSubject, method: string, path: string, outcome: Outcome): ProxyAuditEvent {
  const info = requestInfo(method, path);
  const ctx = subject.ctx;
  return {
    kind: 'k8s_proxy_request',
    time: new Date(outcome.started).toISOString(),
    job: ctx?.job.id ?? null,
    pipeline: ctx?.job.pipeline_id ?? null,
    project: ctx ? { id: ctx.project.id, path: ctx.project.full_path } : null,
    user: ctx ? { id: ctx.user.id, username: ctx.user.username } : null,
    agent: subject.agent,
    access_as: subject.accessAs,
    verb: info.verb,
    api_group: info.apiGroup,
    api_version: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
    status: outcome.status,
    bytes_in: outcome.bytesIn,
    bytes_out: outcome.bytesOut,
    duration_ms: Date.now() - outcome.started,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}
