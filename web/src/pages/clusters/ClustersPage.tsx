/**
 * Operate > Kubernetes clusters: the agents of the project (the default tab) and the
 * deprecated certificate-based clusters. The tab is in the URL (`?tab=`).
 */
import { Link, useSearchParams } from 'react-router';
import { ProjectFrame } from '../ProjectFrame';
import { Tabs } from '../../components/Tabs';
import { AgentsTab } from './AgentsTab';
import { CertificateClustersTab } from './CertificateClustersTab';
import { paths, type ClustersTab } from '../../routes';

export function ClustersPage({ path }: { path: string }) {
  const [search] = useSearchParams();
  const tab: ClustersTab = search.get('tab') === 'certificate_based' ? 'certificate_based' : 'agent';
  return (
    <ProjectFrame
      path={path}
      title="Kubernetes clusters"
      crumbs={[{ label: 'Kubernetes clusters' }]}
      actions={(p) =>
        tab === 'agent' ? (
          <Link className="button button-primary" to={paths.connectCluster(p.path_with_namespace)}>
            Connect a cluster
          </Link>
        ) : (
          <>
            <Link className="button" to={paths.newEksCluster(p.path_with_namespace)}>
              Create cluster on Amazon EKS
            </Link>
            <Link className="button button-primary" to={paths.addCertificateCluster(p.path_with_namespace)}>
              Add existing cluster
            </Link>
          </>
        )
      }
    >
      {(p) => (
        <>
          <Tabs
            label="Cluster types"
            current={tab}
            tabs={[
              { id: 'agent', label: 'Agent', to: paths.clusters(p.path_with_namespace, 'agent') },
              { id: 'certificate_based', label: 'Certificate-based', to: paths.clusters(p.path_with_namespace, 'certificate_based') },
            ]}
          />
          {tab === 'agent' ? <AgentsTab project={p} /> : <CertificateClustersTab project={p} />}
        </>
      )}
    </ProjectFrame>
  );
}
