/**
 * The configuration in force for each agent: `.gitlab/agents/<name>/config.yaml` on the
 * configuration project's default branch, read at start and after every push to that
 * branch. A file that fails to parse keeps the last good configuration in force; its
 * errors and warnings are stored for the API. The store row is the truth (replicas share
 * it); a memory cache serves the hot path (authorizing proxied requests).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Agent, Database } from '../../store/schema.js';
import { now } from '../../store/db.js';
import { parseAgentConfig, resolveCiAccess, type AgentConfig, type ConfigProblem } from '../agent_config/index.js';
import { listFilesAtCommit, readFileAtCommit, resolveRef } from '../git/reader.js';
import { CONFIG_ROOTS, configPath, misplacedConfigWarnings } from './config_paths.js';
import type { RepositoryStore } from '../git/repos.js';
import type { PushEvent } from '../../server/events.js';

export const EMPTY_CONFIG: AgentConfig = Object.freeze({ ci_access: { projects: [], groups: [] }, flux: {} }) as AgentConfig;

export { configPath, CONFIG_ROOTS } from './config_paths.js';

export interface ConfigurationState {
  config: AgentConfig;
  commit: string | null;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

export class AgentConfigurations {
  private readonly cache = new Map<number, ConfigurationState>();
  /** Loads per agent run one after another, so an older read never overwrites a newer one. */
  private readonly queues = new Map<number, Promise<unknown>>();
  private readonly changeListeners = new Set<(agentId: number) => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly repositories: RepositoryStore,
    private readonly logger: Logger,
  ) {}

  /** Called after an agent's configuration (or its problems) changed or it was forgotten. */
  onChange(listener: (agentId: number) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(agentId: number): void {
    for (const listener of this.changeListeners) listener(agentId);
  }

  /** The configuration in force (empty when the agent has never had a good file). */
  async inForce(agentId: number): Promise<ConfigurationState> {
    const cached = this.cache.get(agentId);
    if (cached) return cached;
    const row = await this.db.selectFrom('agent_configurations').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
    const state: ConfigurationState = row
      ? { config: JSON.parse(row.config) as AgentConfig, commit: row.commit_sha, errors: JSON.parse(row.errors), warnings: JSON.parse(row.warnings) }
      : { config: EMPTY_CONFIG, commit: null, errors: [], warnings: [] };
    this.cache.set(agentId, state);
    return state;
  }

  /** Reads and applies the agent's file now; resolves when the result is in force. */
  reload(agent: Agent): Promise<ConfigurationState> {
    const previous = this.queues.get(agent.id) ?? Promise.resolve();
    const next = previous.then(() => this.load(agent), () => this.load(agent));
    this.queues.set(agent.id, next);
    void next.finally(() => {
      if (this.queues.get(agent.id) === next) this.queues.delete(agent.id);
    });
    return next;
  }

  forget(agentId: number): void {
    this.cache.delete(agentId);
    this.changed(agentId);
  }

  /** Reloads the agents of a project whose default branch was pushed. */
  async onPush(event: PushEvent, agentsOf: (projectId: number) => Promise<Agent[]>): Promise<void> {
    if (event.ref !== `refs/heads/${event.project.default_branch}`) return;
    const agents = await agentsOf(event.project.id);
    await Promise.all(agents.map((a) => this.reload(a)));
  }

  private async load(agent: Agent): Promise<ConfigurationState> {
    const project = await this.db.selectFrom('projects').selectAll().where('id', '=', agent.project_id).executeTakeFirst();
    if (!project) return this.inForce(agent.id);
    const previous = await this.inForce(agent.id);
    let file;
    let misplaced: ConfigProblem[] = [];
    try {
      const gitDir = this.repositories.path(project.id);
      const commitId = await resolveRef(gitDir, project.default_branch);
      file = commitId ? await readFileAtCommit(gitDir, commitId, configPath(agent.name)) : null;
      if (commitId && !file) {
        misplaced = misplacedConfigWarnings(agent.name, await listFilesAtCommit(gitDir, commitId, CONFIG_ROOTS)).map((message) => ({ message }));
      }
    } catch (err) {
      this.logger.warn({ err, agentId: agent.id }, 'cannot read the agent configuration file; keeping the configuration in force');
      return previous;
    }
    const parsed = parseAgentConfig(file?.content ?? null);
    let warnings = [...misplaced, ...parsed.warnings];
    if (parsed.config) {
      const resolved = await resolveCiAccess(parsed.config, {
        findProject: (path) => this.findTarget('project', path),
        findGroup: (path) => this.findTarget('group', path),
        configProjectRootNamespace: project.full_path.split('/')[0]!,
      });
      warnings = [...warnings, ...resolved.warnings];
    }
    const state: ConfigurationState = parsed.config
      ? { config: parsed.config, commit: file?.commitId ?? null, errors: [], warnings }
      : { config: previous.config, commit: previous.commit, errors: parsed.errors, warnings };
    const row = {
      config: JSON.stringify(state.config),
      commit_sha: state.commit,
      errors: JSON.stringify(state.errors),
      warnings: JSON.stringify(state.warnings),
      updated_at: now(),
    };
    await this.db
      .insertInto('agent_configurations')
      .values({ agent_id: agent.id, ...row })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet(row))
      .execute();
    this.cache.set(agent.id, state);
    this.changed(agent.id);
    const log = this.logger.child({ agentId: agent.id, agent: agent.name, project: project.full_path, commit: file?.commitId });
    if (parsed.errors.length > 0) log.warn({ errors: parsed.errors.map((e) => e.message) }, 'agent configuration rejected; the previous one stays in force');
    else log.info({ warnings: warnings.length }, 'agent configuration in force');
    return state;
  }

  private async findTarget(kind: 'project' | 'group', path: string) {
    const route = await this.db.selectFrom('routes').selectAll().where('path_lower', '=', path.toLowerCase()).executeTakeFirst();
    if (!route) return undefined;
    if (kind === 'project' && route.source_kind === 'project') {
      const p = await this.db.selectFrom('projects').select(['id', 'full_path']).where('id', '=', route.source_id).executeTakeFirst();
      return p ? { id: p.id, fullPath: p.full_path, rootNamespace: p.full_path.split('/')[0]! } : undefined;
    }
    if (kind === 'group' && route.source_kind === 'namespace') {
      const ns = await this.db.selectFrom('namespaces').select(['id', 'full_path', 'kind']).where('id', '=', route.source_id).executeTakeFirst();
      return ns && ns.kind === 'group' ? { id: ns.id, fullPath: ns.full_path, rootNamespace: ns.full_path.split('/')[0]! } : undefined;
    }
    return undefined;
  }
}
