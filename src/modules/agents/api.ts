/**
 * GitLab's cluster agents API: `/projects/:id/cluster_agents` and their tokens.
 * Developers read; Maintainers register, delete, and manage tokens.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Agent, AgentToken, Project } from '../../store/schema.js';
import { freeText, intLike, nameText, parse } from '../../lib/validate.js';
import { paginate } from '../../lib/http.js';
import type { ProjectService } from '../projects/server.js';
import { ACCESS } from '../identity/access.js';
import type { AgentService } from './server.js';
import { versionWarnings, type VersionWarning } from './versions.js';
import type { ConfigProblem } from '../agent_config/index.js';
import type { CiAccessJson } from './ci_access_json.js';
import { VERSION } from '../../lib/version.js';
import { installFields, installJson, type InstallInstructionsFn } from './install.js';

/** A live connection of an agent pod, as the API shows it. */
export interface AgentConnectionView {
  connectionId: number;
  connectedAt: Date;
  podName: string;
  podNamespace: string;
  version: string;
  commit: string;
  kubernetesVersion: string;
  /** `h2`: HTTP/2 on the socket; `websocket`: inside WebSocket frames (fallback or old agent). */
  transport: 'h2' | 'websocket';
}

export interface ConfigurationView {
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
  /** The commit of the configuration in force, if any. */
  commit: string | null;
  /** The projects and groups the configuration in force serves (implicit access aside). */
  ci_access: CiAccessJson;
}

/** One agent as `GET /projects/:id/cluster_agents[/:agent_id]` answers (the UI's type too). */
export interface AgentJson {
  id: number;
  name: string;
  config_project: ReturnType<typeof configProjectJson>;
  created_at: string;
  created_by_user_id: number | null;
  connections: Array<{
    connection_id: number;
    connected_at: string;
    pod_name: string;
    pod_namespace: string;
    version: string;
    commit: string;
    kubernetes_version: string;
    tunnel_transport: AgentConnectionView['transport'];
  }>;
  configuration: ConfigurationView;
  warnings: VersionWarning[];
}

export type AgentTokenJson = ReturnType<typeof agentTokenJson>;

export interface AgentRouteDeps {
  agents: AgentService;
  projects: ProjectService;
  /** Live connections of an agent (on every replica). */
  connections(agentId: number): Promise<AgentConnectionView[]>;
  /** The configuration problems of the agent's newest file. */
  configuration(agentId: number): Promise<ConfigurationView>;
  /** Called after a token was revoked or an agent deleted, to close their connections. */
  onTokenRevoked(token: AgentToken): Promise<void>;
  onAgentDeleted(agent: Agent): Promise<void>;
  /** A new agent's file may already be in the repository: read it. */
  onAgentRegistered(agent: Agent): Promise<void>;
  /**
   * How to install the agent with a new token (the charts module computes it, so every
   * client shows the same command). Absent: token answers carry no `install`.
   */
  installInstructions?: InstallInstructionsFn;
}

const newAgent = z.object({ name: z.string() });
const newToken = z.object({
  name: nameText(255),
  description: freeText(1024).optional(),
  ...installFields,
});

/** `nameWithNamespace`: ProjectService#nameWithNamespace of `p` (names, not paths). */
function configProjectJson(p: Project, nameWithNamespace: string) {
  return {
    id: p.id,
    description: p.description,
    name: p.name,
    name_with_namespace: nameWithNamespace,
    path: p.path,
    path_with_namespace: p.full_path,
    created_at: p.created_at,
  };
}

export function agentTokenJson(t: AgentToken) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    agent_id: t.agent_id,
    status: t.status,
    created_at: t.created_at,
    created_by_user_id: t.created_by_user_id,
    last_used_at: t.last_used_at,
  };
}

type AgentParams = { Params: { id: string; agent_id: string } };
type TokenParams = { Params: { id: string; agent_id: string; token_id: string } };

export function registerAgentRoutes(app: FastifyInstance, deps: AgentRouteDeps): void {
  const { agents, projects } = deps;

  /** The agents' configuration project as they show it: once per request, however many agents. */
  async function configProjectView(project: Project) {
    return configProjectJson(project, await projects.nameWithNamespace(project));
  }

  async function agentJson(agent: Agent, configProject: ReturnType<typeof configProjectJson>): Promise<AgentJson> {
    const connections = await deps.connections(agent.id);
    return {
      id: agent.id,
      name: agent.name,
      config_project: configProject,
      created_at: agent.created_at,
      created_by_user_id: agent.created_by_user_id,
      connections: connections.map((c) => ({
        connection_id: c.connectionId,
        connected_at: c.connectedAt.toISOString(),
        pod_name: c.podName,
        pod_namespace: c.podNamespace,
        version: c.version,
        commit: c.commit,
        kubernetes_version: c.kubernetesVersion,
        tunnel_transport: c.transport,
      })),
      configuration: await deps.configuration(agent.id),
      warnings: versionWarnings(VERSION.version, connections.map((c) => c.version)),
    };
  }

  async function projectFor(request: { actor: Parameters<ProjectService['findVisible']>[0] }, id: string, level: number, action: string) {
    const project = await projects.findVisible(request.actor, id);
    await projects.requireAccess(request.actor, project, level, action);
    return project;
  }

  const agentId = (params: unknown) => parse(z.object({ agent_id: intLike }).passthrough(), params).agent_id;
  const tokenId = (params: unknown) => parse(z.object({ token_id: intLike }).passthrough(), params).token_id;

  app.get<{ Params: { id: string } }>('/api/v4/projects/:id/cluster_agents', async function listAgents(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.developer, 'see its agents');
    const page = paginate(reply, request.query, await agents.list(project.id));
    const configProject = await configProjectView(project);
    return Promise.all(page.map((a) => agentJson(a, configProject)));
  });

  app.get<AgentParams>('/api/v4/projects/:id/cluster_agents/:agent_id', async function getAgent(request) {
    const project = await projectFor(request, request.params.id, ACCESS.developer, 'see its agents');
    const agent = await agents.find(project.id, agentId(request.params));
    return agentJson(agent, await configProjectView(project));
  });

  app.post<{ Params: { id: string } }>('/api/v4/projects/:id/cluster_agents', async function registerAgent(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.maintainer, 'register agents');
    const body = parse(newAgent, request.body);
    const agent = await agents.register(project, body.name, request.actor.user?.id ?? null);
    await deps.onAgentRegistered(agent);
    request.log.info({ agentId: agent.id, agent: agent.name, project: project.full_path }, 'agent registered');
    return reply.status(201).send(await agentJson(agent, await configProjectView(project)));
  });

  app.delete<AgentParams>('/api/v4/projects/:id/cluster_agents/:agent_id', async function deleteAgent(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.maintainer, 'delete agents');
    const agent = await agents.find(project.id, agentId(request.params));
    await agents.remove(agent);
    await deps.onAgentDeleted(agent);
    request.log.info({ agentId: agent.id, agent: agent.name, project: project.full_path }, 'agent deleted');
    return reply.status(204).send();
  });

  app.get<AgentParams>('/api/v4/projects/:id/cluster_agents/:agent_id/tokens', async function listTokens(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.developer, "see agents' tokens");
    const agent = await agents.find(project.id, agentId(request.params));
    return paginate(reply, request.query, await agents.listTokens(agent.id)).map(agentTokenJson);
  });

  app.get<TokenParams>('/api/v4/projects/:id/cluster_agents/:agent_id/tokens/:token_id', async function getToken(request) {
    const project = await projectFor(request, request.params.id, ACCESS.developer, "see agents' tokens");
    const agent = await agents.find(project.id, agentId(request.params));
    return agentTokenJson(await agents.findToken(agent.id, tokenId(request.params)));
  });

  app.post<AgentParams>('/api/v4/projects/:id/cluster_agents/:agent_id/tokens', async function createToken(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.maintainer, 'create agent tokens');
    const agent = await agents.find(project.id, agentId(request.params));
    const body = parse(newToken, request.body);
    const { row, token } = await agents.createToken(agent, body, request.actor.user?.id ?? null);
    request.log.info({ agentId: agent.id, tokenId: row.id }, 'agent token created');
    const install = installJson(deps.installInstructions, agent.name, token, body, request.log);
    return reply.status(201).send({ ...agentTokenJson(row), token, ...(install ? { install } : {}) });
  });

  app.delete<TokenParams>('/api/v4/projects/:id/cluster_agents/:agent_id/tokens/:token_id', async function revokeToken(request, reply) {
    const project = await projectFor(request, request.params.id, ACCESS.maintainer, 'revoke agent tokens');
    const agent = await agents.find(project.id, agentId(request.params));
    const row = await agents.revokeToken(agent.id, tokenId(request.params));
    await deps.onTokenRevoked(row);
    request.log.info({ agentId: agent.id, tokenId: row.id }, 'agent token revoked');
    return reply.status(204).send();
  });
}
