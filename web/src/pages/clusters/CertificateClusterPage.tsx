/**
 * One certificate-based cluster, at GitLab's `/<project>/-/clusters/<id>`: its settings
 * and, for a cluster created on Amazon EKS, how its creation goes. While the cluster is
 * scheduled or creating, the page asks for it every few seconds (CLUSTER_POLL_MS) with the
 * stack's events, until it is created (usable by jobs) or errored (with the reason: the
 * stack, the resource that failed and what to delete, since nothing is rolled back).
 */
import { useQuery } from '@tanstack/react-query';
import { api, idOf } from '../../api/client';
import { keys } from '../../api/queries';
import type { CertificateCluster } from '../../api/types';
import { ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';
import { ProjectFrame } from '../ProjectFrame';
import { paths } from '../../routes';
import { DeprecationBanner } from './CertificateClustersTab';
import { StackEventsTable } from './StackEventsTable';
import { PROVISION_STATUS, ProvisionBadge, inProgress } from './eksStatus';

/** The server polls CloudFormation every 15 s (STACK_POLL_INTERVAL_MS); asking it more often than this shows nothing sooner. */
export const CLUSTER_POLL_MS = 5_000;

type Aws = NonNullable<CertificateCluster['provider_aws']>;

function ProvisionStatus({ aws }: { aws: Aws }) {
  const status = aws.status_name;
  return (
    <section className="card" aria-labelledby="provision-title">
      <h2 id="provision-title">
        Creation on Amazon EKS: <ProvisionBadge status={status} />
      </h2>
      {status === 'scheduled' ? <p role="status">Kubegate is about to create the CloudFormation stack {aws.stack_name}.</p> : null}
      {status === 'creating' ? (
        <p role="status">
          Kubegate is creating the cluster through CloudFormation stack <code>{aws.stack_name}</code> in {aws.region}; it takes about ten minutes in AWS. This page follows it.
        </p>
      ) : null}
      {status === 'created' ? (
        <p className="notice notice-success" role="status">
          The cluster is created: jobs whose environment matches its environment scope deploy to it through the <code>gitlab-deploy</code> context.
        </p>
      ) : null}
      {status === 'errored' ? (
        <div className="notice notice-danger" role="alert">
          <p className="notice-title">Creating the cluster failed</p>
          <p className="wrap" data-testid="status-reason">
            {aws.status_reason ?? 'No reason was recorded.'}
          </p>
        </div>
      ) : null}
    </section>
  );
}

function AwsFacts({ aws }: { aws: Aws }) {
  return (
    <dl className="facts">
      <dt>Region</dt>
      <dd>{aws.region}</dd>
      <dt>EKS cluster</dt>
      <dd>{aws.cluster_name}</dd>
      <dt>CloudFormation stack</dt>
      <dd className="wrap">
        {aws.stack_name}
        {aws.stack_id ? <div className="muted small">{aws.stack_id}</div> : null}
      </dd>
      <dt>Service role (role A)</dt>
      <dd className="wrap">{aws.role_arn}</dd>
      <dt>Provision role (role B)</dt>
      <dd className="wrap">{aws.provision_role_arn}</dd>
      <dt>Kubernetes version</dt>
      <dd>{aws.kubernetes_version}</dd>
      <dt>Key pair</dt>
      <dd>{aws.key_name}</dd>
      <dt>VPC</dt>
      <dd>{aws.vpc_id}</dd>
      <dt>Subnets</dt>
      <dd>{aws.subnet_ids.join(', ')}</dd>
      <dt>Security group</dt>
      <dd>{aws.security_group_id}</dd>
      <dt>Nodes</dt>
      <dd>
        {aws.num_nodes} × {aws.instance_type}
      </dd>
    </dl>
  );
}

function ClusterDetails({ projectPath, cluster }: { projectPath: string; cluster: CertificateCluster }) {
  const aws = cluster.provider_aws;
  return (
    <>
      {aws ? <ProvisionStatus aws={aws} /> : null}
      <section aria-labelledby="cluster-details-title">
        <h2 id="cluster-details-title">Details</h2>
        <dl className="facts">
          <dt>Environment scope</dt>
          <dd>
            <code>{cluster.environment_scope}</code>
          </dd>
          <dt>API URL</dt>
          <dd className="wrap">{cluster.platform_kubernetes.api_url ?? <span className="muted">not known until the cluster is created</span>}</dd>
          <dt>Namespace</dt>
          <dd>{cluster.platform_kubernetes.namespace ?? <span className="muted">project default</span>}</dd>
          <dt>Kubegate-managed</dt>
          <dd>{cluster.managed ? 'Yes: a namespace and service account per project environment' : 'No'}</dd>
          <dt>Enabled</dt>
          <dd>{cluster.enabled ? 'Yes' : 'No: jobs do not get it'}</dd>
          <dt>Provider</dt>
          <dd>{aws ? 'Amazon EKS' : 'Existing cluster'}</dd>
          <dt>Added</dt>
          <dd>
            <Time value={cluster.created_at} />
            {cluster.user ? ` by @${cluster.user.username}` : null}
          </dd>
        </dl>
      </section>
      {aws ? (
        <section aria-labelledby="aws-details-title">
          <h2 id="aws-details-title">Amazon EKS settings</h2>
          <AwsFacts aws={aws} />
        </section>
      ) : null}
      {aws?.stack_id ? <StackEventsTable projectPath={projectPath} clusterId={cluster.id} poll={!PROVISION_STATUS[aws.status_name].done} providerStatus={aws.status_name} /> : null}
    </>
  );
}

function useCertificateCluster(path: string, clusterId: number) {
  return useQuery({
    queryKey: [...keys.clusters(path), clusterId],
    queryFn: () => api.get<CertificateCluster>(`/projects/${idOf(path)}/clusters/${clusterId}`),
    refetchInterval: (q) => (q.state.data && inProgress(q.state.data) ? CLUSTER_POLL_MS : false),
  });
}

export function CertificateClusterPage({ path, clusterId }: { path: string; clusterId: number }) {
  const cluster = useCertificateCluster(path, clusterId);
  const title = cluster.data?.name ?? `Cluster ${clusterId}`;
  return (
    <ProjectFrame path={path} title={title} crumbs={[{ label: 'Kubernetes clusters', to: paths.clusters(path, 'certificate_based') }, { label: title }]}>
      {() => (
        <>
          <DeprecationBanner />
          {cluster.isPending ? (
            <Loading what={`cluster ${clusterId}`} />
          ) : cluster.isError ? (
            <ErrorState error={cluster.error} what={`cluster ${clusterId}`} onRetry={() => void cluster.refetch()} />
          ) : (
            <ClusterDetails projectPath={path} cluster={cluster.data} />
          )}
        </>
      )}
    </ProjectFrame>
  );
}
