/**
 * Runs `kubegate server` until SIGTERM/SIGINT: start (HTTPS by default), then, listening,
 * create the root token on a first start (printed once, kept in the data dir), serve,
 * then drain in-flight requests and exit 0.
 */
import { createLogger, redactUrl } from '../lib/log.js';
import { createKubegateServer, DRAIN_TIMEOUT_MS, type KubegateServer } from './app.js';
import { checkDataDir, describeStartupError, rootTokenNotice, tlsNotice, writeInitialRootToken } from './startup.js';
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
  // Git repositories and keys live there whatever the database.
  await checkDataDir(config.dataDir);
  let app: KubegateServer | undefined;
  try {
    app = await createKubegateServer(config, logger);
    // The modules stop with the app (`close`), after in-flight requests are done: drain.ts.
    await wireModules(app, logger);
    await app.listen();
  } catch (err) {
    await app?.close(0).catch(() => undefined);
    throw describeStartupError(err, config);
  }
  // Only now, listening: a first start that failed (port in use, bad flag) created no
  // root token, so none was printed and lost.
  const root = await app.services.identity.ensureRoot(config.rootToken);
  if (root.generatedToken) {
    // Printed once, on the terminal, never logged; kept in a 0600 file like GitLab's
    // initial root password.
    const file = await writeInitialRootToken(config.dataDir, root.generatedToken);
    process.stderr.write(rootTokenNotice(root.generatedToken, file));
  }
  process.stderr.write(tlsNotice(app));
  if (config.externalUrl.startsWith('http:')) {
    logger.warn({ externalUrl: config.externalUrl }, 'plain HTTP: kubectl sends no credentials over http://, so CI jobs will get 401; use --no-tls only behind a TLS-terminating proxy and set --external-url to its https:// URL');
  }
  if (config.redisUrl) {
    logger.warn('--redis-url is set, but running several replicas is not supported yet: this server works alone; run one replica');
  }
  logger.info(
    {
      url: app.url(),
      externalUrl: config.externalUrl,
      dataDir: config.dataDir,
      database: config.databaseUrl ? redactUrl(config.databaseUrl) : 'sqlite',
      version: VERSION.version,
      tls: app.tls ? { source: app.tls.source, caFile: app.tls.caFile, caFingerprint: app.trust.fingerprint, notAfter: app.tls.notAfter.toISOString(), events: app.tls.events } : 'off',
    },
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
