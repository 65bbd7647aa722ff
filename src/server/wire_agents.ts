/**
 * Wires the agent side of the server: the tunnel endpoint agents dial, the cluster agents
 * API, and what ties them together (revoking a token or deleting an agent closes its
 * connections).
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { AgentService } from '../modules/agents/server.js';
import { registerAgentRoutes } from '../modules/agents/api.js';
import { createTunnelServer, TUNNEL_PATH, type TunnelServer } from '../modules/tunnel/server.js';

export interface AgentWiring {
  agents: AgentService;
  tunnel: TunnelServer;
  stop(): Promise<void>;
}

export function wireAgents(app: KubegateServer, logger: Logger): AgentWiring {
  const agents = new AgentService(app.store.db);
  const tunnel = createTunnelServer({
    logger,
    authenticate: async function authenticateAgent(token) {
      const result = await agents.authenticateToken(token);
      return 'refused' in result ? null : result;
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
      const row = await app.store.db.selectFrom('agent_configurations').select(['errors', 'warnings']).where('agent_id', '=', agentId).executeTakeFirst();
      return row ? { errors: JSON.parse(row.errors) as unknown[], warnings: JSON.parse(row.warnings) as unknown[] } : { errors: [], warnings: [] };
    },
    onTokenRevoked: async (token) => {
      tunnel.closeTokenConnections(token.id, 'the agent token was revoked');
    },
    onAgentDeleted: async (agent) => {
      tunnel.closeAgentConnections(agent.id, 'the agent was deleted');
    },
  });

  return {
    agents,
    tunnel,
    async stop() {
      tunnel.close();
    },
  };
}
