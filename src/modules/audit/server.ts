/**
 * Audit events: one per proxied Kubernetes request (and other security-relevant acts).
 * Each is logged as JSON at once and stored for the admin API. Stores are batched off the
 * request path, so auditing adds no database round trip to a proxied request.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../store/schema.js';

export interface ProxyAuditEvent {
  kind: 'k8s_proxy_request';
  time: string;
  /** Null only for requests refused before the job was known (bad or finished token). */
  job: number | null;
  pipeline: number | null;
  project: { id: number; path: string } | null;
  user: { id: number; username: string } | null;
  /** The agent asked for; `name` is empty when the request was refused before routing. */
  agent: { id: number; name: string } | null;
  /** `agent`, `ci_job`, `impersonate`; empty when refused. */
  access_as: string;
  verb: string;
  api_group: string;
  api_version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  status: number;
  bytes_in: number;
  bytes_out: number;
  duration_ms: number;
  /** Why the request was refused, when it was. */
  error?: string;
}

export const FLUSH_INTERVAL_MS = 200;
export const MAX_BATCH = 500;
/** Events waiting beyond this are dropped (and counted in the log) rather than eat memory. */
export const MAX_PENDING = 50_000;

export class AuditLog {
  private pending: ProxyAuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  record(event: ProxyAuditEvent): void {
    this.logger.info({ audit: event }, 'audit');
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Writes what is pending; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.pending.length);
    if (this.dropped > 0) {
      this.logger.error({ dropped: this.dropped }, 'audit events dropped: the database could not keep up');
      this.dropped = 0;
    }
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        for (let i = 0; i < batch.length; i += MAX_BATCH) {
          await this.db
            .insertInto('audit_events')
            .values(
              batch.slice(i, i + MAX_BATCH).map((e) => ({
                time: e.time,
                kind: e.kind,
                agent_id: e.agent?.id ?? null,
                job_id: e.job,
                project_id: e.project?.id ?? null,
                user_id: e.user?.id ?? null,
                status: e.status,
                details: JSON.stringify(e),
              })),
            )
            .execute();
        }
      } catch (err) {
        this.logger.error({ err, events: batch.length }, 'cannot store audit events (they are in the log)');
      }
    });
    return this.flushing;
  }

  async list(filter: { agentId?: number | undefined; jobId?: number | undefined }, offset: number, limit: number) {
    await this.flush();
    let q = this.db.selectFrom('audit_events').selectAll();
    if (filter.agentId !== undefined) q = q.where('agent_id', '=', filter.agentId);
    if (filter.jobId !== undefined) q = q.where('job_id', '=', filter.jobId);
    let c = this.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string | number>().as('n'));
    if (filter.agentId !== undefined) c = c.where('agent_id', '=', filter.agentId);
    if (filter.jobId !== undefined) c = c.where('job_id', '=', filter.jobId);
    const rows = await q.orderBy('id', 'desc').offset(offset).limit(limit).execute();
    const { n } = await c.executeTakeFirstOrThrow();
    return { rows: rows.map((r) => ({ id: r.id, ...(JSON.parse(r.details) as ProxyAuditEvent) })), total: Number(n) };
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
