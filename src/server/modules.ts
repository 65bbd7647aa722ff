/**
 * The list of server modules wired onto the app after it is built. Each gets its deps
 * explicitly; `stop()` ends them in reverse order at shutdown.
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { createGitHttpHandler, registerRepositoryFileRoutes } from '../modules/git/server.js';
import { wireAgents, type AgentWiring } from './wire_agents.js';
import { wireCi, type CiWiring } from './wire_ci.js';
import { SecretBox } from '../modules/clusters/secret_box.js';
import { ClusterService } from '../modules/clusters/server.js';
import { registerClusterRoutes } from '../modules/clusters/api.js';

export interface RunningModules {
  agents: AgentWiring;
  ci: CiWiring;
  /** Stops the modules in reverse order (CI first: audit flushed; then tunnels closed). Idempotent. */
  stop(): Promise<void>;
}

export async function wireModules(app: KubegateServer, logger: Logger): Promise<RunningModules> {
  const stops: Array<() => Promise<void>> = [];
  await wireGit(app, logger);
  const agents = await wireAgents(app, logger);
  stops.push(() => agents.stop());
  const clusters = wireClusters(app);
  const ci = wireCi(app, agents, logger, {
    deployCluster: function deployClusterForJob(ctx) {
      return clusters.forJob({ projectId: ctx.project.id, projectPath: ctx.project.path, namespaceId: ctx.project.namespace_id, environment: ctx.environment?.name ?? null });
    },
  });
  stops.push(() => ci.stop());
  let stopped: Promise<void> | undefined;
  const running: RunningModules = {
    agents,
    ci,
    stop() {
      stopped ??= (async () => {
        for (const stop of stops.reverse()) await stop();
      })();
      return stopped;
    },
  };
  // Stopped by the app's shutdown, after in-flight requests are done (see drain.ts).
  app.onStop(() => running.stop());
  return running;
}

/**
 * Certificate-based clusters. Their tokens are sealed with `KUBEGATE_SECRET_KEY` when set
 * (checked here, so a malformed key stops the start), else with a key file in the data dir.
 */
function wireClusters(app: KubegateServer): ClusterService {
  const secrets = new SecretBox(app.config.dataDir, app.config.secretKey);
  const clusters = new ClusterService(app.store.db, app.services.policy, secrets);
  const { projects, groups, identity } = app.services;
  registerClusterRoutes(app.api, { clusters, projects, groups, identity, externalUrl: () => app.config.externalUrl });
  return clusters;
}

/** Git smart HTTP goes around Fastify (its bodies are pack streams); the files API is a route. */
async function wireGit(app: KubegateServer, logger: Logger): Promise<void> {
  const { identity, policy, projects, repositories } = app.services;
  await repositories.ensureHooks();
  app.rawHandlers.push(createGitHttpHandler({ identity, policy, projects, repositories, push: app.events.push, logger: logger.child({ module: 'git' }) }));
  registerRepositoryFileRoutes(app.api, { projects, policy, repositories });
}
