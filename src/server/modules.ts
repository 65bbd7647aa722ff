/**
 * The list of server modules wired onto the app after it is built. Each gets its deps
 * explicitly; `stop()` ends them in reverse order at shutdown.
 */
import type { Logger } from 'pino';
import type { KubegateServer } from './app.js';
import { wireAgents } from './wire_agents.js';

export interface RunningModules {
  stop(): Promise<void>;
}

export async function wireModules(app: KubegateServer, logger: Logger): Promise<RunningModules> {
  const stops: Array<() => Promise<void>> = [];
  const agents = wireAgents(app, logger);
  stops.push(() => agents.stop());
  return {
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
