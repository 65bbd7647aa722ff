/**
 * Certificate-based clusters: deprecated (as in GitLab) and kept so existing users can
 * move to agents. Listing, adding an existing cluster and creating one on Amazon EKS
 * (eks/NewEksClusterPage) need the Maintainer role; the API's refusal is shown as it says
 * it. Each cluster links to its page, which follows an EKS cluster's creation.
 */
import { Link } from 'react-router';
import { useCertificateClusters } from '../../api/queries';
import type { Project } from '../../api/types';
import { Empty, ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';
import { paths } from '../../routes';
import { ProvisionBadge } from './eksStatus';

export function DeprecationBanner() {
  return (
    <aside className="notice notice-warning" aria-labelledby="deprecation-title">
      <h2 id="deprecation-title" className="notice-title">
        Certificate-based clusters are deprecated
      </h2>
      <p>
        They hold a cluster-wide token in Kubegate and need the cluster's API reachable from the server. Connect clusters with an agent instead: it dials out from the cluster,
        and each CI/CD job gets only the access its configuration grants.
      </p>
    </aside>
  );
}

export function CertificateClustersTab({ project }: { project: Project }) {
  const path = project.path_with_namespace;
  const clusters = useCertificateClusters(path);
  return (
    <>
      <DeprecationBanner />
      {clusters.isPending ? (
        <Loading what="certificate-based clusters" />
      ) : clusters.isError ? (
        <ErrorState error={clusters.error} what="certificate-based clusters" onRetry={() => void clusters.refetch()} />
      ) : clusters.data.length === 0 ? (
        <Empty title="No certificate-based clusters">
          <p>Existing clusters can be added with their API URL, CA certificate and a service account token, or a new one created on Amazon EKS.</p>
          <p className="actions">
            <Link className="button" to={paths.addCertificateCluster(path)}>
              Add existing cluster
            </Link>
            <Link className="button" to={paths.newEksCluster(path)}>
              Create cluster on Amazon EKS
            </Link>
          </p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Certificate-based clusters</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Environment scope</th>
                <th scope="col">API URL</th>
                <th scope="col">Namespace</th>
                <th scope="col">Provider</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {clusters.data.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <Link to={paths.certificateCluster(path, c.id)}>{c.name}</Link>
                    {!c.enabled ? <span className="badge badge-neutral">Disabled</span> : null}
                  </th>
                  <td>
                    <code>{c.environment_scope}</code>
                  </td>
                  <td className="break">{c.platform_kubernetes.api_url ?? <span className="muted">not yet</span>}</td>
                  <td>{c.platform_kubernetes.namespace ?? <span className="muted">project default</span>}</td>
                  <td>
                    {c.provider_aws ? (
                      <>
                        Amazon EKS <ProvisionBadge status={c.provider_aws.status_name} />
                      </>
                    ) : (
                      'Existing cluster'
                    )}
                  </td>
                  <td>
                    <Time value={c.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
