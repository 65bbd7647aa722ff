/**
 * Runs `kubegate server` until SIGTERM/SIGINT: start (HTTPS by default), then, listening,
 * create the root token on a first start (printed once, kept in the data dir), serve,
 * then drain in-flight requests and exit 0.
 */
import { createLogger, redactUrl } from '../lib/log.js';
import { createKubegateServer, DRAIN_TIMEOUT_MS, type KubegateServer } from './app.js';
import { checkDataDir, describeStartupError, rootTokenNotice, tlsNotice, writeInitialRootToken } from './startup.js';
import type { ServerConfig } from './config.js';
import { wireModules, type RunningModules } from './modules.js';
import { VERSION } from '../lib/version.js';
import { installLeanAsyncResourceBind } from '../lib/node_fixes.js';

export async function runServer(config: ServerConfig): Promise<void> {
  const logger = createLogger('kubegate-server');
  // Every proxied request is an HTTP/2 stream to an agent; see node_fixes.ts.
  installLeanAsyncResourceBind();
  // Git repositories and keys live there whatever the database.
  await checkDataDir(config.dataDir);
  let app: KubegateServer | undefined;
  let modules: RunningModules | undefined;
  try {
    app = await createKubegateServer(config, logger);
    modules = await wireModules(app, logger);
    await app.listen();
  } catch (err) {
    await modules?.stop().catch(() => undefined);
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

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await modules.stop();
  await app.close(DRAIN_TIMEOUT_MS);
  logger.info('kubegate server stopped');
  logger.flush();
}
