/**
 * Agents and their tokens. An agent belongs to its configuration project; its tokens are
 * stored as digests only, shown once, and at most two are active at a time (one in use,
 * one being rolled out), as in GitLab.
 */
import type { Kysely } from 'kysely';
import type { Agent, AgentToken, Database, Project } from '../../store/schema.js';
import { isUniqueViolation, now, transaction } from '../../store/db.js';
import { KubegateError, badRequest, conflict, notFound } from '../../lib/errors.js';
import { TOKEN_PREFIX, digestToken, generateToken } from '../identity/tokens.js';
import { validateAgentName } from './names.js';

export const MAX_ACTIVE_TOKENS = 2;
/** `last_used_at` is written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class AgentService {
  constructor(private readonly db: Kysely<Database>) {}

  async register(project: Project, name: unknown, userId: number | null): Promise<Agent> {
    const valid = validateAgentName(name);
    try {
      return await this.db
        .insertInto('agents')
        .values({ project_id: project.id, name: valid, created_at: now(), created_by_user_id: userId })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`an agent named "${valid}" is already registered in project ${project.full_path}; choose another name`);
      throw err;
    }
  }

  list(projectId: number): Promise<Agent[]> {
    return this.db.selectFrom('agents').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
  }

  /** Every agent, for loading configurations at start. */
  all(): Promise<Agent[]> {
    return this.db.selectFrom('agents').selectAll().orderBy('id').execute();
  }

  byId(agentId: number): Promise<Agent | undefined> {
    return this.db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  }

  /** The agent if it belongs to the project; 404 otherwise (ids of other projects do not leak). */
  async find(projectId: number, agentId: number): Promise<Agent> {
    const agent = await this.db.selectFrom('agents').selectAll().where('id', '=', agentId).where('project_id', '=', projectId).executeTakeFirst();
    if (!agent) throw notFound('Agent');
    return agent;
  }

  async remove(agent: Agent): Promise<void> {
    await this.db.deleteFrom('agents').where('id', '=', agent.id).execute();
  }

  async createToken(agent: Agent, input: { name: string; description?: string | undefined }, userId: number | null): Promise<{ row: AgentToken; token: string }> {
    if (input.name.trim().length === 0) throw badRequest('name is missing');
    return transaction(this.db, async (trx) => {
      const active = await trx.selectFrom('agent_tokens').select(['id', 'name']).where('agent_id', '=', agent.id).where('status', '=', 'active').execute();
      if (active.length >= MAX_ACTIVE_TOKENS) {
        throw new KubegateError(
          'bad_request',
          `agent "${agent.name}" already has ${MAX_ACTIVE_TOKENS} active tokens (${active.map((t) => `${t.id} "${t.name}"`).join(', ')}); revoke one before creating another`,
        );
      }
      const token = generateToken(TOKEN_PREFIX.agent);
      const row = await trx
        .insertInto('agent_tokens')
        .values({ agent_id: agent.id, name: input.name, description: input.description ?? null, token_digest: digestToken(token), status: 'active', created_at: now(), created_by_user_id: userId, last_used_at: null, revoked_at: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { row, token };
    });
  }

  listTokens(agentId: number): Promise<AgentToken[]> {
    return this.db.selectFrom('agent_tokens').selectAll().where('agent_id', '=', agentId).orderBy('id').execute();
  }

  async findToken(agentId: number, tokenId: number): Promise<AgentToken> {
    const row = await this.db.selectFrom('agent_tokens').selectAll().where('agent_id', '=', agentId).where('id', '=', tokenId).executeTakeFirst();
    if (!row) throw notFound('AgentToken');
    return row;
  }

  async revokeToken(agentId: number, tokenId: number): Promise<AgentToken> {
    const row = await this.findToken(agentId, tokenId);
    if (row.status === 'revoked') return row;
    return this.db
      .updateTable('agent_tokens')
      .set({ status: 'revoked', revoked_at: now() })
      .where('id', '=', tokenId)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Resolves an agent token for the tunnel. Returns why it was refused, so the agent's
   * log can say "revoked" rather than a bare 401.
   */
  async authenticateToken(token: string): Promise<{ agentId: number; tokenId: number } | { refused: 'unknown' | 'revoked' }> {
    if (!token.startsWith(TOKEN_PREFIX.agent)) return { refused: 'unknown' };
    const row = await this.db.selectFrom('agent_tokens').selectAll().where('token_digest', '=', digestToken(token)).executeTakeFirst();
    if (!row) return { refused: 'unknown' };
    if (row.status !== 'active') return { refused: 'revoked' };
    const current = Date.now();
    if (!row.last_used_at || current - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
      await this.db.updateTable('agent_tokens').set({ last_used_at: new Date(current).toISOString() }).where('id', '=', row.id).execute();
    }
    return { agentId: row.agent_id, tokenId: row.id };
  }
}
