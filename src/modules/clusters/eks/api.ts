/**
 * Kubegate's REST extension for creating EKS clusters (GitLab drives this from its UI and
 * has no public API for it; docs/api.md documents these routes). Under each clusters
 * prefix — `/projects/:id/clusters`, `/groups/:id/clusters`, `/admin/clusters` — with the
 * same roles as GitLab's clusters API:
 *
 *   POST …/eks_requests                              start: account ID + external ID for role B
 *   GET  …/eks_requests[/:request_id]                the caller's requests
 *   POST …/eks_requests/:request_id/authorize        role_arn (B) + region → sts:AssumeRole
 *   GET  …/eks_requests/:request_id/options/:list    the form's choices, as role B
 *   POST …/eks_requests/:request_id/clusters         the form → a cluster being created
 *   GET  …/:cluster_id/stack_events                  the CloudFormation stack's events
 *   DELETE …/:cluster_id/kubernetes_namespaces       forget the managed namespaces made
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Cluster, ClusterEksRequest, ClusterProviderAws } from '../../../store/schema.js';
import { KubegateError, conflict, notFound } from '../../../lib/errors.js';
import { intLike, parse } from '../../../lib/validate.js';
import type { ClusterOwner, ClusterService } from '../server.js';
import { ownerPrefixes, type Owners } from '../owners.js';
import { isAwsCallError, type AwsApi } from './aws.js';
import type { EksRequests } from './requests.js';
import type { RoleSessions } from './sessions.js';
import type { EksSettingsService } from './settings.js';
import { awsUnavailable } from './messages.js';

export interface EksRouteDeps {
  owners: Owners;
  requests: EksRequests;
  settings: EksSettingsService;
  clusters: ClusterService;
  aws: AwsApi;
  sessions: RoleSessions;
  providerAws: (clusterId: number) => Promise<ClusterProviderAws | undefined>;
  render: (cluster: Cluster, owner: ClusterOwner) => Promise<unknown>;
}

type Params = { Params: { id?: string; request_id: string; resource: string; cluster_id: string } };
const requestId = z.object({ request_id: intLike }).passthrough();
const clusterId = z.object({ cluster_id: intLike }).passthrough();
const optionsQuery = z.object({ vpc_id: z.string().regex(/^vpc-[0-9a-f]+$/, 'must be a VPC ID, e.g. vpc-0a1b2c3d').optional() }).passthrough();

export function registerEksRoutes(app: FastifyInstance, deps: EksRouteDeps): void {
  const { requests } = deps;

  async function requestJson(r: ClusterEksRequest) {
    const settings = await deps.settings.get();
    return {
      id: r.id,
      account_id: settings.accountId,
      external_id: r.external_id,
      role_arn: r.role_arn,
      region: r.region,
      authorized: r.authorized_at !== null,
      authorized_at: r.authorized_at,
      cluster_id: r.cluster_id,
      user_id: r.user_id,
      created_at: r.created_at,
    };
  }

  for (const { prefix, ownerOf } of ownerPrefixes(deps.owners)) {
    const base = `${prefix}/eks_requests`;

    app.post<Params>(base, async function startEksRequest(request, reply) {
      const owner = await ownerOf(request);
      const { request: created } = await requests.create(owner, request.actor.user!.id);
      request.log.info({ eksRequestId: created.id }, 'EKS cluster creation started');
      return reply.status(201).send(await requestJson(created));
    });

    app.get<Params>(base, async function listEksRequests(request) {
      const owner = await ownerOf(request);
      return Promise.all((await requests.list(owner, request.actor.user!.id)).map(requestJson));
    });

    app.get<Params>(`${base}/:request_id`, async function getEksRequest(request) {
      const owner = await ownerOf(request);
      const { request_id: id } = parse(requestId, request.params);
      return requestJson(await requests.find(owner, request.actor.user!.id, id));
    });

    app.post<Params>(`${base}/:request_id/authorize`, async function authorizeEksRequest(request) {
      const owner = await ownerOf(request);
      const { request_id: id } = parse(requestId, request.params);
      const updated = await requests.authorize(owner, request.actor.user!.id, id, request.body);
      request.log.info({ eksRequestId: id, roleArn: updated.role_arn, region: updated.region }, 'EKS creation: role assumed');
      return requestJson(updated);
    });

    app.get<Params>(`${base}/:request_id/options/:resource`, async function eksFormOptions(request) {
      const owner = await ownerOf(request);
      const { request_id: id } = parse(requestId, request.params);
      const query = parse(optionsQuery, request.query);
      return requests.options(owner, request.actor.user!.id, id, request.params.resource, query);
    });

    app.post<Params>(`${base}/:request_id/clusters`, async function createEksCluster(request, reply) {
      const owner = await ownerOf(request);
      const { request_id: id } = parse(requestId, request.params);
      const cluster = await requests.createCluster(owner, request.actor.user!.id, id, request.body);
      request.log.info({ clusterId: cluster.id, eksRequestId: id }, 'EKS cluster scheduled for creation');
      return reply.status(201).send(await deps.render(cluster, owner));
    });

    app.get<Params>(`${prefix}/:cluster_id/stack_events`, async function eksStackEvents(request) {
      const owner = await ownerOf(request);
      const { cluster_id: cid } = parse(clusterId, request.params);
      const cluster = await deps.clusters.find(owner, cid);
      const provider = await deps.providerAws(cluster.id);
      if (!provider) throw notFound(`CloudFormation stack of cluster ${cluster.id} (it was not created through AWS)`);
      if (!provider.stack_id) throw conflict(`cluster ${cluster.id} has no stack yet (${provider.status}); try again in a few seconds`);
      const session = await deps.sessions.session({ roleArn: provider.role_arn, externalId: provider.external_id, region: provider.region });
      try {
        return { stack_name: provider.stack_name, stack_id: provider.stack_id, status_name: provider.status, events: await deps.aws.stackEvents(session, provider.stack_id) };
      } catch (err) {
        if (!isAwsCallError(err)) throw err;
        if (err.httpStatus !== undefined && err.httpStatus < 500) {
          throw new KubegateError(
            'unprocessable',
            `the events of stack ${provider.stack_name} could not be read as ${provider.role_arn}: ${err.code}: ${err.message}; add cloudformation:DescribeStackEvents to role B's policy (document 003's policy lacks it)`,
            { cause: err },
          );
        }
        throw awsUnavailable(`the events of stack ${provider.stack_name} could not be read`, err);
      }
    });

    app.delete<Params>(`${prefix}/:cluster_id/kubernetes_namespaces`, async function clearClusterCache(request, reply) {
      const owner = await ownerOf(request);
      const { cluster_id: cid } = parse(clusterId, request.params);
      const cluster = await deps.clusters.find(owner, cid);
      const forgotten = await deps.clusters.managedNamespaces.forget(cluster.id);
      request.log.info({ clusterId: cluster.id, forgotten }, 'managed namespaces of the cluster forgotten');
      return reply.status(204).send();
    });
  }
}
