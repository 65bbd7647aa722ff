/**
 * Wires CI access: jobs and their tokens, allowed agents, and job kubeconfigs.
 */
import type { KubegateServer } from './app.js';
import type { AgentWiring } from './wire_agents.js';
import { JobService } from '../modules/ci_access/jobs.js';
import { CiAccessService } from '../modules/ci_access/server.js';
import { registerCiRoutes } from '../modules/ci_access/api.js';
import type { DeployCluster } from '../modules/ci_access/kubeconfig.js';
import type { JobContext } from '../modules/ci_access/jobs.js';
import { AuditLog } from '../modules/audit/server.js';
import { registerAuditRoutes } from '../modules/audit/api.js';
import { ProxyAuthorizer } from '../modules/kube_proxy/auth.js';
import { createKubeProxy } from '../modules/kube_proxy/server.js';
import type { Logger } from 'pino';

export interface CiWiring {
  jobs: JobService;
  access: CiAccessService;
  audit: AuditLog;
  stop(): Promise<void>;
}

export interface CiWiringDeps {
  /** The certificate-based cluster that applies to a job, if any. */
  deployCluster?: (ctx: JobContext) => Promise<DeployCluster | null>;
}

export function wireCi(app: KubegateServer, agents: AgentWiring, logger: Logger, deps: CiWiringDeps = {}): CiWiring {
  const { projects, protectedEnvironments, repositories, policy } = app.services;
  const jobs = new JobService(app.store.db, projects, { refs: repositories, protectedEnvironments, policy });
  const access = new CiAccessService(app.store.db, app.services.policy, agents.configurations);
  registerCiRoutes(app.api, {
    jobs,
    access,
    projects: app.services.projects,
    identity: app.services.identity,
    externalUrl: () => app.config.externalUrl,
    serverCa: () => app.trust.caPem,
    deployCluster: deps.deployCluster ?? (async () => null),
  });
  const audit = new AuditLog(app.store.db, logger.child({ module: 'audit' }));
  registerAuditRoutes(app.api, audit);
  const authorizer = new ProxyAuthorizer({
    authenticateJob: (token) => jobs.authenticate(token),
    grantFor: (ctx, agentId) => access.grantFor(ctx, agentId),
  });
  const proxy = createKubeProxy({ authorizer, tunnel: agents.tunnel, audit, logger, trackInFlight: (closed) => app.drain.track(closed) });
  // At shutdown, watches and `logs -f` end cleanly when draining starts (they never finish
  // by themselves); exec and port-forward streams get until the drain deadline.
  app.drain.onStart(function endProxiedStreams() {
    const ended = proxy.endStreams();
    if (ended > 0) logger.info({ streams: ended }, 'draining: open watches and followed logs were ended');
  });
  app.drain.onDeadline(function cutProxiedStreams() {
    const cut = proxy.closeAll();
    if (cut > 0) logger.warn({ requests: cut }, 'drain deadline: the Kubernetes requests still open were cut');
  });
  // A finished job or a changed configuration must take effect on the next request.
  // The token is dead the moment the job finishes: refuse new requests and end its
  // streams (a forgotten `logs -f`, an exec) too.
  const offFinished = jobs.onFinished((job) => {
    authorizer.invalidate();
    const cut = proxy.closeJob(job.id);
    if (cut > 0) logger.info({ jobId: job.id, streams: cut }, 'job finished: its open Kubernetes requests were closed');
  });
  const offChanged = agents.configurations.onChange(() => authorizer.invalidate());
  app.rawHandlers.push(proxy.handleRequest);
  app.upgradeHandlers.push(proxy.handleUpgrade);
  return {
    jobs,
    access,
    audit,
    async stop() {
      offFinished();
      offChanged();
      await audit.close();
    },
  };
}
