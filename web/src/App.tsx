/**
 * The page for the current URL, behind the sign-in: a signed-out visitor is sent to the
 * sign-in page, which brings them back to the URL they asked for.
 */
import { Navigate, useLocation } from 'react-router';
import { useSession } from './session/SessionContext';
import { SignInPage, safeRedirect } from './session/SignInPage';
import { Layout } from './components/Layout';
import { ErrorState, Loading } from './components/States';
import { paths, resolveRoute, type Route } from './routes';
import { ProjectsPage } from './pages/ProjectsPage';
import { GroupsPage } from './pages/GroupsPage';
import { NewProjectPage } from './pages/NewProjectPage';
import { NewGroupPage } from './pages/NewGroupPage';
import { GroupPage } from './pages/GroupPage';
import { ProjectPage } from './pages/ProjectPage';
import { MembersPage } from './pages/MembersPage';
import { ClustersPage } from './pages/clusters/ClustersPage';
import { ConnectClusterPage } from './pages/clusters/ConnectClusterPage';
import { AddCertificateClusterPage } from './pages/clusters/AddCertificateClusterPage';
import { NewEksClusterPage } from './pages/clusters/eks/NewEksClusterPage';
import { CertificateClusterPage } from './pages/clusters/CertificateClusterPage';
import { ApplicationSettingsPage } from './pages/admin/ApplicationSettingsPage';
import { AgentPage } from './pages/agent/AgentPage';
import { FilePage } from './pages/FilePage';
import { NotFoundPage } from './pages/NotFoundPage';

function Page({ route, search }: { route: Route; search: string }) {
  switch (route.page) {
    case 'home':
      return <Navigate to={paths.projects()} replace />;
    case 'signIn':
      // Just signed in: back to the page that sent the visitor here.
      return <Navigate to={safeRedirect(new URLSearchParams(search).get('redirect'))} replace />;
    case 'projects':
      return <ProjectsPage />;
    case 'groups':
      return <GroupsPage />;
    case 'newProject':
      return <NewProjectPage />;
    case 'newGroup':
      return <NewGroupPage />;
    case 'group':
      return <GroupPage path={route.path} />;
    case 'groupMembers':
      return <MembersPage kind="groups" path={route.path} />;
    case 'project':
      return <ProjectPage path={route.path} />;
    case 'projectMembers':
      return <MembersPage kind="projects" path={route.path} />;
    case 'clusters':
      return <ClustersPage path={route.path} />;
    case 'connectCluster':
      return <ConnectClusterPage path={route.path} />;
    case 'addCertificateCluster':
      return <AddCertificateClusterPage path={route.path} />;
    case 'newEksCluster':
      return <NewEksClusterPage path={route.path} />;
    case 'certificateCluster':
      return <CertificateClusterPage path={route.path} clusterId={route.clusterId} />;
    case 'adminSettings':
      return <ApplicationSettingsPage />;
    case 'agent':
      return <AgentPage path={route.path} agentName={route.agentName} />;
    case 'blob':
      return <FilePage path={route.path} gitRef={route.ref} filePath={route.filePath} />;
    case 'notFound':
      return <NotFoundPage />;
  }
}

export function App() {
  const { state, retry } = useSession();
  const location = useLocation();
  const route = resolveRoute(location.pathname);

  if (state.status === 'loading') {
    return (
      <main id="content">
        <Loading what="your session" />
      </main>
    );
  }
  if (state.status === 'error') {
    return (
      <main id="content">
        <ErrorState error={new Error(state.message)} what="your session" onRetry={retry} />
      </main>
    );
  }
  if (state.status === 'signedOut') {
    if (route.page === 'signIn') return <SignInPage reason={state.reason} />;
    const here = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={paths.signIn(route.page === 'home' ? undefined : here)} replace />;
  }
  return (
    <Layout>
      {/* A new page starts fresh: no state of the previous one (a shown token) survives. */}
      <Page key={location.pathname} route={route} search={location.search} />
    </Layout>
  );
}
