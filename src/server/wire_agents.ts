/**
 * Wires the agent side of the server: the tunnel endpoint agents dial, the cluster agents
 * API, and what ties them together (revoking a token or deleting an agent closes its
 * connections).
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { AgentService } from '../modules/agents/server.js';
import { KubegateError } from '../lib/errors.js';
import { registerAgentRoutes, type AgentRouteDeps } from '../modules/agents/api.js';
import { createTunnelServer, TUNNEL_PATH, type TunnelServer } from '../modules/tunnel/server.js';
import { AgentConfigurations } from '../modules/agents/configuration.js';
import { ciAccessJson } from '../modules/agents/ci_access_json.js';

export interface AgentWiring {
  agents: AgentService;
  tunnel: TunnelServer;
  configurations: AgentConfigurations;
  stop(): Promise<void>;
}

export interface AgentWiringDeps {
  /** The install command answered with each new token (the charts module). */
  installInstructions?: AgentRouteDeps['installInstructions'];
}

export async function wireAgents(app: KubegateServer, logger: Logger, deps: AgentWiringDeps = {}): Promise<AgentWiring> {
  const agents = new AgentService(app.store.db);
  const configurations = new AgentConfigurations(app.store.db, app.services.repositories, logger.child({ module: 'agent_config' }));
  // Every push to a default branch re-reads the configurations of that project's agents.
  const unsubscribe = app.events.push.subscribe(function reloadAgentConfigurations(event) {
    return configurations.onPush(event, (projectId) => agents.list(projectId));
  });
  for (const agent of await agents.all()) await configurations.reload(agent);
  const tunnel = createTunnelServer({
    logger,
    ...app.config.tunnel,
    authenticate: async function authenticateAgent(token) {
      let result: Awaited<ReturnType<AgentService['authenticateToken']>>;
      try {
        result = await agents.authenticateToken(token);
      } catch (err) {
        // The store is down: say so (503), never that a good token is bad (401).
        throw new KubegateError('unavailable', 'cannot check the agent token: the database is unavailable', { cause: err });
      }
      if (!('refused' in result)) return result;
      return result.refused === 'revoked'
        ? { refused: 'the agent token was revoked; create a new token for this agent and update the agent\'s token secret' }
        : null;
    },
  });

  app.upgradeHandlers.push(function tunnelUpgrade(req, socket, head) {
    const path = (req.url ?? '').split('?')[0];
    if (path !== TUNNEL_PATH && path !== TUNNEL_PATH.replace(/\/$/, '')) return false;
    tunnel.handleUpgrade(req, socket, head);
    return true;
  });

  registerAgentRoutes(app.api, {
    agents,
    projects: app.services.projects,
    connections: async (agentId) => tunnel.connections(agentId),
    configuration: async (agentId) => {
      const state = await configurations.inForce(agentId);
      return { errors: state.errors, warnings: state.warnings, commit: state.commit, ci_access: ciAccessJson(state.config) };
    },
    onAgentRegistered: async (agent) => {
      await configurations.reload(agent);
    },
    onTokenRevoked: async (token) => {
      tunnel.closeTokenConnections(token.id, 'the agent token was revoked');
    },
    onAgentDeleted: async (agent) => {
      configurations.forget(agent.id);
      tunnel.closeAgentConnections(agent.id, 'the agent was deleted');
    },
    ...(deps.installInstructions ? { installInstructions: deps.installInstructions } : {}),
  });

  return {
    agents,
    tunnel,
    configurations,
    async stop() {
      unsubscribe();
      tunnel.close();
    },
  };
}
