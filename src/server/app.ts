/**
 * The composition root of `kubegate server`: opens the store, builds every module from
 * explicit deps, and puts them behind one HTTP(S) server. Nothing listens until
 * `listen()`, so tests can build an app on a temporary data dir and drive it.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openStore, type Store } from '../store/db.js';
import { IdentityService } from '../modules/identity/server.js';
import { Policy } from '../modules/identity/policy.js';
import { MemberService } from '../modules/identity/members.js';
import { GroupService } from '../modules/groups/server.js';
import { ProjectService, repositoryIdsOnDisk } from '../modules/projects/server.js';
import { RepositoryStore } from '../modules/git/repos.js';
import { registerIdentityRoutes } from '../modules/identity/api.js';
import { registerGroupRoutes } from '../modules/groups/api.js';
import { registerProjectRoutes } from '../modules/projects/api.js';
import { ProtectedEnvironmentService } from '../modules/projects/protected_environments.js';
import { registerProtectedEnvironmentRoutes } from '../modules/projects/protected_environments_api.js';
import { createApi } from './api.js';
import { createMetrics, type Metrics } from './metrics.js';
import { PushEvents } from './events.js';
import type { ServerConfig } from './config.js';
import { VERSION } from '../lib/version.js';
import { loadServingTls, RENEWAL_CHECK_INTERVAL_MS, type ServingTls } from './tls/index.js';
import { NO_PRIVATE_CA, type ServerTrust } from './tls_trust.js';
import { registerTlsRoutes } from './tls_routes.js';
import { liveTokenDigests } from './ca_proof_lookup.js';
import { prepareDataDir } from './data_dir.js';
import { Drain } from './drain.js';

/** A handler for requests that bypass Fastify (Git, the k8s proxy): true when it took the request. */
export type RawHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
/** A handler for `Upgrade` requests on the raw path: true when it took the socket. */
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface Services {
  identity: IdentityService;
  policy: Policy;
  members: MemberService;
  groups: GroupService;
  projects: ProjectService;
  protectedEnvironments: ProtectedEnvironmentService;
  repositories: RepositoryStore;
}

export interface KubegateServer {
  config: ServerConfig;
  /** What the listener serves; null with `--no-tls`. */
  tls: ServingTls | null;
  /** Which CA clients must trust (see tls_trust.ts): the one answer for the whole server. */
  trust: ServerTrust;
  store: Store;
  services: Services;
  events: { push: PushEvents };
  metrics: Metrics;
  api: FastifyInstance;
  server: http.Server;
  /** Request handlers tried before Fastify, in order (Git smart HTTP, the k8s proxy). */
  rawHandlers: RawHandler[];
  /** Handlers for `Upgrade` requests (the agent tunnel, exec and port-forward streams). */
  upgradeHandlers: UpgradeHandler[];
  /** Counts requests in flight; modules hook into draining (see drain.ts). */
  drain: Drain;
  /**
   * Registers a module's stop, run at shutdown after in-flight requests are done, in
   * registration order (wireModules registers its stop here: audit flushed, tunnels closed).
   */
  onStop(step: () => Promise<void>): void;
  /** The URL the server listens on (after `listen`). */
  url(): string;
  listen(): Promise<void>;
  /**
   * Stops accepting, lets in-flight requests finish (at most `drainMs`) with every module
   * still running, cuts what is left, runs the `onStop` steps, then closes the store.
   */
  close(drainMs?: number): Promise<void>;
}

export const DRAIN_TIMEOUT_MS = 30_000;
/** How long closing tunnels may take to say goodbye to their agents before the sockets are cut. */
export const TUNNEL_CLOSE_GRACE_MS = 1_000;

export async function createKubegateServer(config: ServerConfig, logger: Logger): Promise<KubegateServer> {
  prepareDataDir(config.dataDir, logger);
  // Read and checked before the store opens: a bad certificate stops the start at once.
  let tls = await loadServingTls(config);
  const trust = tls?.trust ?? NO_PRIVATE_CA;
  let renewalTimer: NodeJS.Timeout | undefined;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const db = store.db;
  const identity = new IdentityService(db);
  const policy = new Policy(db);
  const members = new MemberService(db);
  const groups = new GroupService(db, policy);
  const repositories = new RepositoryStore(config.dataDir);
  const projects = new ProjectService(db, policy, repositories);
  // On SQLite this process alone writes the data dir, so a repository without a project
  // is what a crash between `git init` and the project's commit left. (With PostgreSQL,
  // other replicas may be creating projects right now: their repositories are not orphans.)
  if (store.engine === 'sqlite') {
    const removed = await projects.removeOrphanRepositories(await repositoryIdsOnDisk(repositories.root));
    if (removed.length > 0) logger.warn({ projectIds: removed }, 'removed repositories left by an interrupted project creation');
  }
  const protectedEnvironments = new ProtectedEnvironmentService(db, policy, projects);
  const services: Services = { identity, policy, members, groups, projects, protectedEnvironments, repositories };
  const push = new PushEvents(function onSubscriberError(err, event) {
    logger.error({ err, project: event.project.path_with_namespace, ref: event.ref }, 'push event subscriber failed');
  });
  const metrics = createMetrics();

  const rawHandlers: RawHandler[] = [];
  const upgradeHandlers: UpgradeHandler[] = [];
  let server!: http.Server;
  let ready = false;
  const upgradedSockets = new Set<Duplex>();
  const drain = new Drain();
  const stopSteps: Array<() => Promise<void>> = [];

  const api = createApi({
    logger,
    identity,
    serverFactory: function createHttpServer(fastifyHandler) {
      const dispatch = function dispatchRequest(req: http.IncomingMessage, res: http.ServerResponse) {
        drain.track(res);
        for (const handle of rawHandlers) if (handle(req, res)) return;
        fastifyHandler(req, res);
      };
      server = tls ? https.createServer({ cert: tls.chainPem, key: tls.keyPem }, dispatch) : http.createServer(dispatch);
      server.on('upgrade', function dispatchUpgrade(req, socket, head) {
        // Upgraded sockets leave the HTTP server's bookkeeping; track them for shutdown.
        upgradedSockets.add(socket);
        socket.once('close', () => upgradedSockets.delete(socket));
        for (const handle of upgradeHandlers) if (handle(req, socket, head)) return;
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"404 Not Found: no upgrade endpoint here"}');
      });
      // Long streams (watch, logs -f, exec) must not be cut by Node's request timeout.
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      server.keepAliveTimeout = 65_000;
      return server;
    },
  });

  api.addHook('onResponse', async function recordMetrics(request, reply) {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  api.get('/-/liveness', async function liveness() {
    return { status: 'ok' };
  });
  api.get('/-/readiness', async function readiness(_request, reply) {
    if (!ready) return reply.status(503).send({ status: 'not ready' });
    try {
      await store.db.selectFrom('users').select('id').limit(1).execute();
    } catch {
      return reply.status(503).send({ status: 'database unavailable' });
    }
    return { status: 'ok' };
  });
  api.get('/metrics', async function prometheus(_request, reply) {
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  api.get('/api/v4/version', async function version() {
    return { version: VERSION.version, revision: VERSION.commit, kas: { enabled: true, externalUrl: `${config.externalUrl.replace(/^http/, 'ws')}/-/kubernetes-agent/`, version: VERSION.version } };
  });

  registerTlsRoutes(api, () => trust, (hint) => liveTokenDigests(store.db, hint));
  registerIdentityRoutes(api, identity);
  registerGroupRoutes(api, { groups, members, policy, externalUrl: () => config.externalUrl });
  registerProjectRoutes(api, { projects, members, policy, groups, externalUrl: () => config.externalUrl });
  registerProtectedEnvironmentRoutes(api, { projects, protectedEnvironments });

  /** A server that runs for months renews its generated certificate in place. */
  function scheduleRenewal(): void {
    if (!tls?.renewIfDue) return;
    renewalTimer = setInterval(function renewServingCertificate() {
      tls!.renewIfDue!().then(
        (next) => {
          if (!next) return;
          tls = next;
          (server as https.Server).setSecureContext({ cert: next.chainPem, key: next.keyPem });
          logger.info({ notAfter: next.notAfter.toISOString() }, 'renewed the serving certificate (same CA)');
        },
        (err: unknown) => logger.error({ err }, 'cannot renew the serving certificate; the current one stays in use'),
      );
    }, RENEWAL_CHECK_INTERVAL_MS);
    renewalTimer.unref();
  }

  return {
    config,
    get tls() {
      return tls;
    },
    trust,
    store,
    services,
    events: { push },
    metrics,
    api,
    server,
    drain,
    onStop(step) {
      stopSteps.push(step);
    },
    url() {
      const addr = server.address() as AddressInfo | null;
      if (!addr) throw new Error('the server is not listening');
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
    },
    async listen() {
      // Routes are added by modules after construction; Fastify freezes them here.
      await api.ready();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      ready = true;
      scheduleRenewal();
    },
    async close(drainMs = DRAIN_TIMEOUT_MS) {
      ready = false;
      clearInterval(renewalTimer);
      // 1. Stop accepting; `closed` settles when the last connection has ended. Idle
      // keep-alive connections go at once, and so does each one whose request finishes
      // during the drain (a clone, a proxied request): nothing new arrives on them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      // 2. Requests in flight finish with every module running: proxied ones go on through
      // the tunnels, which are still open. At the deadline, what is left is cut (modules
      // cut their own streams in `drain.onDeadline`); it still records its outcome.
      await drain.run(drainMs, function cutRemainingRequests() {
        server.closeAllConnections();
      });
      // 3. The modules stop in order: audit events flushed to the store, then tunnels closed.
      for (const step of stopSteps.splice(0)) {
        await step().catch((err: unknown) => logger.error({ err }, 'a module failed to stop cleanly'));
      }
      // 4. The last sockets (agents answering the tunnels' close) and the store.
      const lastCut = setTimeout(function cutLastSockets() {
        server.closeAllConnections();
        for (const socket of upgradedSockets) socket.destroy();
      }, TUNNEL_CLOSE_GRACE_MS);
      await closed;
      clearInterval(sweeper);
      clearTimeout(lastCut);
      await api.close();
      await store.close();
    },
    rawHandlers,
    upgradeHandlers,
  };
}
