/**
 * Runs `kubegate server` until SIGTERM/SIGINT: start, print the root token once if one
 * was generated, serve, then drain in-flight requests and exit 0.
 */
import { createLogger, redactUrl } from '../lib/log.js';
import { createKubegateServer, DRAIN_TIMEOUT_MS } from './app.js';
import type { ServerConfig } from './config.js';
import { wireModules } from './modules.js';
import { SERVER_UMASK } from './data_dir.js';
import { VERSION } from '../lib/version.js';
import { installLeanAsyncResourceBind } from '../lib/node_fixes.js';

export async function runServer(config: ServerConfig): Promise<void> {
  // Everything this process and its children (git, hooks) create is private, as in the
  // data dir's rules, even where a call site does not set a mode.
  process.umask(SERVER_UMASK);
  const logger = createLogger('kubegate-server');
  // Before anything can tell the world we listen: a SIGTERM that arrives before its handler
  // is installed kills the process at once (the default action), with nothing drained.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // Every proxied request is an HTTP/2 stream to an agent; see node_fixes.ts.
  installLeanAsyncResourceBind();
  const app = await createKubegateServer(config, logger);
  await wireModules(app, logger);
  const root = await app.services.identity.ensureRoot(config.rootToken);
  if (root.generatedToken) {
    // Printed once, on the terminal, never logged: it is the only copy there is.
    process.stderr.write(
      `\nKubegate created the root administrator. Its personal access token is shown only this once:\n\n    ${root.generatedToken}\n\n` +
        `Keep it safe (e.g. export KUBEGATE_TOKEN=...). To choose it yourself, set KUBEGATE_ROOT_TOKEN before the first start.\n\n`,
    );
  }
  if (config.redisUrl) {
    logger.warn('--redis-url is set, but running several replicas is not supported yet: this server works alone; run one replica');
  }
  await app.listen();
  logger.info(
    { url: app.url(), externalUrl: config.externalUrl, dataDir: config.dataDir, database: config.databaseUrl ? redactUrl(config.databaseUrl) : 'sqlite', version: VERSION.version },
    'kubegate server listening',
  );

  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  // Drains in-flight requests with every module running, then stops the modules (audit
  // flushed, tunnels closed), then the store: see drain.ts.
  await app.close(DRAIN_TIMEOUT_MS);
  logger.info('kubegate server stopped');
  logger.flush();
}
