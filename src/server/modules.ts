/**
 * The list of server modules wired onto the app after it is built. Each gets its deps
 * explicitly; `stop()` ends them in reverse order at shutdown.
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { createGitHttpHandler, registerRepositoryFileRoutes } from '../modules/git/server.js';
import { wireAgents, type AgentWiring } from './wire_agents.js';
import { wireCharts } from './wire_charts.js';
import { wireCi, type CiWiring } from './wire_ci.js';
import { wireClusters } from '../modules/clusters/wiring.js';
import { createAgentConfigPushFeedback } from '../modules/agents/push_feedback.js';
import type { Project } from '../store/schema.js';

type PushFeedback = (project: Project, updates: Array<{ ref: string; before: string; after: string }>) => Promise<string[]>;
import { registerWebUi } from '../modules/web/server.js';

export interface RunningModules {
  agents: AgentWiring;
  ci: CiWiring;
  /** Stops the modules in reverse order (CI first: audit flushed; then tunnels closed). Idempotent. */
  stop(): Promise<void>;
}

export async function wireModules(app: KubegateServer, logger: Logger): Promise<RunningModules> {
  const stops: Array<() => Promise<void>> = [];
  // Git is wired first; what a push says about agent configurations comes with the agents.
  const feedback: { agentConfig?: PushFeedback } = {};
  await wireGit(app, logger, (project, updates) => feedback.agentConfig?.(project, updates) ?? Promise.resolve([]));
  const charts = await wireCharts(app);
  const agents = await wireAgents(app, logger, { installInstructions: charts.installInstructions });
  feedback.agentConfig = createAgentConfigPushFeedback({ agentsOf: (id) => agents.agents.list(id), gitDir: (id) => app.services.repositories.path(id) });
  stops.push(() => agents.stop());
  // Certificate-based clusters, EKS creation (its provisioner runs until stop) and
  // GitLab-managed namespaces. Tokens and secrets are sealed with KUBEGATE_SECRET_KEY when
  // set (checked here, so a malformed key stops the start), else a key file in the data dir.
  const { identity, policy, projects, groups } = app.services;
  const clusters = wireClusters({ api: app.api, db: app.store.db, policy, projects, groups, identity, dataDir: app.config.dataDir, secretKey: app.config.secretKey, externalUrl: () => app.config.externalUrl, logger, env: process.env });
  stops.push(() => clusters.stop());
  const ci = wireCi(app, agents, logger, { deployCluster: (ctx) => clusters.deployClusterFor(ctx) });
  stops.push(() => ci.stop());
  clusters.registerJobRoutes({ authenticate: (token) => ci.jobs.authenticate(token) });
  clusters.start();
  registerWebUi(app.api, { db: app.store.db, identity: app.services.identity, externalUrl: () => app.config.externalUrl, logger });
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

/** Git smart HTTP goes around Fastify (its bodies are pack streams); the files API is a route. */
async function wireGit(app: KubegateServer, logger: Logger, pushFeedback: PushFeedback): Promise<void> {
  const { identity, policy, projects, repositories } = app.services;
  await repositories.ensureHooks();
  app.rawHandlers.push(createGitHttpHandler({ identity, policy, projects, repositories, push: app.events.push, logger: logger.child({ module: 'git' }), pushFeedback }));
  registerRepositoryFileRoutes(app.api, { projects, policy, repositories });
}
