/**
 * Who is calling the proxy and through which agent: `Authorization: Bearer
 * ci:<agent id>:<job token>`. Results are cached briefly per token and agent, so a
 * proxied request costs no database round trip; the cache is cleared whenever a job ends
 * or a configuration changes, so those take effect at once.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { KubegateError, isKubegateError } from '../../lib/errors.js';
import type { JobContext } from '../ci_access/jobs.js';
import type { Grant } from '../ci_access/allowed.js';
import { encodeIdentity, type Identity } from './shared.js';

export interface Authorized {
  ctx: JobContext;
  grant: Grant;
  identity: Identity;
  /** `identity` encoded for `IDENTITY_HEADER`, once per cached grant rather than per request. */
  identityHeader: string;
}

export interface ProxyAuthDeps {
  authenticateJob(token: string): Promise<JobContext>;
  grantFor(ctx: JobContext, agentId: number): Promise<{ grant: Grant; identity: Identity } | undefined>;
}

/**
 * A refused request. `ctx` is the job when the token was good (the agent was not
 * allowed), so the refusal can be audited against it.
 */
export class ProxyRefusal extends KubegateError {
  constructor(
    code: 'unauthorized' | 'forbidden',
    message: string,
    readonly agentId: number | null,
    readonly ctx: JobContext | null,
  ) {
    super(code, message);
    this.name = 'ProxyRefusal';
  }
}

export const AUTH_CACHE_TTL_MS = 5_000;
const MAX_CACHE_ENTRIES = 10_000;
const CREDENTIAL = /^Bearer\s+ci:(\d{1,12}):(\S+)\s*$/i;

export class ProxyAuthorizer {
  private readonly cache = new Map<string, { value: Authorized; expires: number }>();

  constructor(private readonly deps: ProxyAuthDeps) {}

  /** Forget everything: a job ended or a configuration changed. */
  invalidate(): void {
    this.cache.clear();
  }

  /** Throws `KubegateError` 401/403 with a message for kubectl; never returns partially. */
  async authorize(headers: IncomingHttpHeaders): Promise<Authorized> {
    const header = headers.authorization;
    if (!header) {
      throw new ProxyRefusal('unauthorized', 'no credentials: the proxy needs "Authorization: Bearer ci:<agent id>:<job token>" (use the kubeconfig from GET /api/v4/job/kubeconfig)', null, null);
    }
    const m = CREDENTIAL.exec(header);
    if (!m) {
      throw new ProxyRefusal('unauthorized', 'malformed credentials: the token must be "ci:<agent id>:<job token>"', null, null);
    }
    const agentId = Number(m[1]);
    const token = m[2]!;
    const key = `${agentId}:${createHash('sha256').update(token).digest('hex')}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.value;

    let ctx: JobContext;
    try {
      ctx = await this.deps.authenticateJob(token);
    } catch (err) {
      if (isKubegateError(err) && err.code === 'unauthorized') {
        throw new ProxyRefusal('unauthorized', `${err.message.replace(/^401 Unauthorized: /, '')}; a job token works only while its job runs`, agentId, null);
      }
      throw err;
    }
    const granted = await this.deps.grantFor(ctx, agentId);
    if (!granted) {
      throw new ProxyRefusal(
        'forbidden',
        `job ${ctx.job.id} of project ${ctx.project.full_path} may not use agent ${agentId}: the agent's configuration does not grant this project, environment or branch (see GET /api/v4/job/allowed_agents)`,
        agentId,
        ctx,
      );
    }
    const value: Authorized = { ctx, ...granted, identityHeader: encodeIdentity(granted.identity) };
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
    this.cache.set(key, { value, expires: now + AUTH_CACHE_TTL_MS });
    return value;
  }
}
