/**
 * Create new cluster → Amazon EKS (document 003), at `/<project>/-/clusters/new?provider=aws`:
 *
 * 0. Start: a creation request is made (`POST …/clusters/eks_requests`) and its id put in
 *    the URL, so a reload or a bookmark comes back to the same External ID.
 * 1. The Account ID and External ID, to create role B with (RoleInstructions).
 * 2. Authenticate with AWS: role B's ARN and the region (AuthorizeForm).
 * 3. The cluster's settings, their choices loaded from AWS (ClusterForm); creating it
 *    opens the cluster's page, which follows the creation.
 */
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../../api/client';
import type { EksRequest, Project } from '../../../api/types';
import { FormError } from '../../../components/FormField';
import { ErrorState, Loading } from '../../../components/States';
import { paths } from '../../../routes';
import { ProjectFrame } from '../../ProjectFrame';
import { DeprecationBanner } from '../CertificateClustersTab';
import { AuthorizeForm } from './AuthorizeForm';
import { ClusterForm } from './ClusterForm';
import { eksRequestsPath, useEksRequest } from './eksApi';
import { RoleInstructions } from './RoleInstructions';

function requestIdOf(text: string | null): number | null {
  return text && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : null;
}

function Start({ project }: { project: Project }) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      const request = await api.post<EksRequest>(eksRequestsPath(project.path_with_namespace), {});
      navigate(paths.newEksCluster(project.path_with_namespace, request.id), { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="eks-start-title">
      <h2 id="eks-start-title">Create a new cluster on Amazon EKS</h2>
      <p>Kubegate creates the cluster in your AWS account through CloudFormation, then adds it here as a certificate-based cluster. You will:</p>
      <ol>
        <li>create two IAM roles in AWS: the cluster's role (role A), and a role Kubegate assumes to create the cluster (role B), for which you get an Account ID and an External ID here;</li>
        <li>authenticate with AWS with role B and the cluster's region;</li>
        <li>choose the cluster's settings from your account's VPCs, subnets, key pairs and roles.</li>
      </ol>
      <FormError message={error} />
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={() => void start()} disabled={busy}>
          {busy ? 'Starting…' : 'Get the Account ID and External ID'}
        </button>
      </div>
    </section>
  );
}

function Flow({ project, requestId }: { project: Project; requestId: number }) {
  const path = project.path_with_namespace;
  const request = useEksRequest(path, requestId);
  if (request.isPending) return <Loading what="the creation request" />;
  if (request.isError) {
    return (
      <>
        <ErrorState error={request.error} what={`creation request ${requestId}`} onRetry={() => void request.refetch()} />
        <p>
          <Link to={paths.newEksCluster(path)}>Start a new creation</Link>
        </p>
      </>
    );
  }
  const r = request.data;
  return (
    <>
      <RoleInstructions request={r} />
      {r.cluster_id !== null ? (
        <p className="notice notice-info">
          This creation made a cluster already: <Link to={paths.certificateCluster(path, r.cluster_id)}>see its progress</Link>. To create another one,{' '}
          <Link to={paths.newEksCluster(path)}>start a new creation</Link>.
        </p>
      ) : (
        <>
          <AuthorizeForm projectPath={path} request={r} />
          {r.authorized ? <ClusterForm key={r.authorized_at} projectPath={path} request={r} /> : null}
        </>
      )}
    </>
  );
}

export function NewEksClusterPage({ path }: { path: string }) {
  const [search] = useSearchParams();
  const requestId = requestIdOf(search.get('request_id'));
  return (
    <ProjectFrame
      path={path}
      title="Create a cluster on Amazon EKS"
      crumbs={[{ label: 'Kubernetes clusters', to: paths.clusters(path, 'certificate_based') }, { label: 'Amazon EKS' }]}
    >
      {(p) => (
        <>
          <DeprecationBanner />
          {requestId === null ? <Start project={p} /> : <Flow project={p} requestId={requestId} />}
        </>
      )}
    </ProjectFrame>
  );
}
