/**
 * The list of server modules wired onto the app after it is built. Each gets its deps
 * explicitly; `stop()` ends them in reverse order at shutdown.
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { createGitHttpHandler, registerRepositoryFileRoutes } from '../modules/git/server.js';
import { wireAgents, type AgentWiring } from './wire_agents.js';
import { wireCi, type CiWiring } from './wire_ci.js';

export interface RunningModules {
  agents: AgentWiring;
  ci: CiWiring;
  stop(): Promise<void>;
}

export async function wireModules(app: KubegateServer, logger: Logger): Promise<RunningModules> {
  const stops: Array<() => Promise<void>> = [];
  await wireGit(app, logger);
  const agents = await wireAgents(app, logger);
  stops.push(() => agents.stop());
  const ci = wireCi(app, agents, logger);
  stops.push(() => ci.stop());
  return {
    agents,
    ci,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** Git smart HTTP goes around Fastify (its bodies are pack streams); the files API is a route. */
async function wireGit(app: KubegateServer, logger: Logger): Promise<void> {
  const { identity, policy, projects, repositories } = app.services;
  await repositories.ensureHooks();
  app.rawHandlers.push(createGitHttpHandler({ identity, policy, projects, repositories, push: app.events.push, logger: logger.child({ module: 'git' }) }));
  registerRepositoryFileRoutes(app.api, { projects, policy, repositories });
}
