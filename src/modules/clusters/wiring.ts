/**
 * Certificate-based clusters wired into the server: GitLab's clusters API, the
 * application settings, the EKS creation flow with its provisioner running in the
 * background, GitLab-managed namespaces, and the job variables route. The server's
 * module list calls `wireClusters` and, once CI jobs exist, `registerJobRoutes`.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { Database, Environment, Project } from '../../store/schema.js';
import type { Policy } from '../identity/policy.js';
import type { IdentityService } from '../identity/server.js';
import type { ProjectService } from '../projects/server.js';
import type { GroupService } from '../groups/server.js';
import { SecretBox } from './secret_box.js';
import { ClusterService, type DeployTarget } from './server.js';
import { clusterRenderer, registerClusterRoutes } from './api.js';
import { ownerResolvers } from './owners.js';
import { registerJobVariableRoutes } from './job_variables.js';
import type { AwsApi } from './eks/aws.js';
import { createSdkAwsApi } from './eks/aws_sdk.js';
import { eksConfig } from './eks/config.js';
import { EksSettingsService } from './eks/settings.js';
import { registerSettingsRoutes } from './eks/settings_api.js';
import { RoleSessions } from './eks/sessions.js';
import { EksRequests } from './eks/requests.js';
import { EksProvisioner } from './eks/provisioner.js';
import { registerEksRoutes } from './eks/api.js';
import { loadTemplate } from './eks/template.js';

export interface ClusterWiringDeps {
  api: FastifyInstance;
  db: Kysely<Database>;
  policy: Policy;
  projects: ProjectService;
  groups: GroupService;
  identity: IdentityService;
  dataDir: string;
  /** KUBEGATE_SECRET_KEY, checked here so that a malformed key stops the start. */
  secretKey: string | undefined;
  externalUrl: () => string;
  logger: Logger;
  /** Where the EKS settings are read (docs/configuration.md). */
  env: NodeJS.ProcessEnv;
  /** Replaces the AWS SDK (tests of cases no emulator produces). */
  aws?: AwsApi;
}

/** What a job is, as far as choosing and preparing its cluster goes. */
export interface JobFacts {
  project: Project;
  environment: Environment | null;
}

export interface ClusterWiring {
  clusters: ClusterService;
  provisioner: EksProvisioner;
  /** The job's `gitlab-deploy` target, its managed namespace made first when needed. */
  deployClusterFor(job: JobFacts): Promise<DeployTarget | null>;
  /** `GET /job/variables`, once jobs can be authenticated. */
  registerJobRoutes<Job extends JobFacts>(deps: { authenticate: (token: string) => Promise<Job> }): void;
  /** Starts the provisioner, once everything is wired. */
  start(): void;
  stop(): Promise<void>;
}

export function wireClusters(deps: ClusterWiringDeps): ClusterWiring {
  const config = eksConfig(deps.env);
  const secrets = new SecretBox(deps.dataDir, deps.secretKey);
  const clusters = new ClusterService(deps.db, deps.policy, secrets);
  const settings = new EksSettingsService(deps.db, secrets);
  const aws = deps.aws ?? createSdkAwsApi({ endpoint: config.awsEndpoint });
  const sessions = new RoleSessions(aws, settings);
  const template = loadTemplate();
  const logger = deps.logger.child({ module: 'clusters' });
  const provisioner = new EksProvisioner({ db: deps.db, aws, sessions, clusters, template, pollIntervalMs: config.pollIntervalMs, nodeAmiParameter: config.nodeAmiParameter, logger });
  const requests = new EksRequests({ db: deps.db, aws, sessions, settings, clusters, template, scheduled: () => provisioner.wake() });
  const providerAws = (clusterId: number) => deps.db.selectFrom('cluster_providers_aws').selectAll().where('cluster_id', '=', clusterId).executeTakeFirst();
  const owners = ownerResolvers(deps);

  registerClusterRoutes(deps.api, { clusters, projects: deps.projects, groups: deps.groups, identity: deps.identity, externalUrl: deps.externalUrl, providerAws });
  registerSettingsRoutes(deps.api, settings);
  registerEksRoutes(deps.api, { owners, requests, settings, clusters, aws, sessions, providerAws, render: clusterRenderer({ identity: deps.identity, externalUrl: deps.externalUrl, providerAws }) });

  const abort = new AbortController();
  let running: Promise<void> | undefined;

  function deployClusterFor(job: JobFacts): Promise<DeployTarget | null> {
    return clusters.forJob({
      projectId: job.project.id,
      projectPath: job.project.path,
      namespaceId: job.project.namespace_id,
      environment: job.environment?.name ?? null,
      environmentId: job.environment?.id ?? null,
      environmentSlug: job.environment?.slug ?? null,
    });
  }

  return {
    clusters,
    provisioner,
    deployClusterFor,
    registerJobRoutes(jobDeps) {
      registerJobVariableRoutes(deps.api, {
        authenticate: jobDeps.authenticate,
        deployCluster: deployClusterFor,
        // The kubeconfig route is the one source of the job's kubeconfig: ask it.
        async kubeconfig(token) {
          const res = await deps.api.inject({ method: 'GET', url: '/api/v4/job/kubeconfig', headers: { 'job-token': token } });
          if (res.statusCode !== 200) return null;
          const contexts = (parseYaml(res.body) as { contexts?: unknown[] } | null)?.contexts ?? [];
          return contexts.length > 0 ? res.body : null;
        },
      });
    },
    start() {
      // Resumes what a previous process left creating, then keeps polling.
      running ??= provisioner.run(abort.signal).catch((err: unknown) => logger.error({ err }, 'EKS provisioner stopped'));
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}
