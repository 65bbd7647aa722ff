/**
 * One agent: its status and configuration (Overview), its tokens, and the audit of the
 * requests proxied through it (Activity). The tab and the activity filters live in the
 * URL. The agent list is polled like the clusters page, so status stays live here too.
 */
import { useSearchParams } from 'react-router';
import { useAgents } from '../../api/queries';
import type { Project } from '../../api/types';
import { ProjectFrame } from '../ProjectFrame';
import { Tabs } from '../../components/Tabs';
import { ErrorState, Loading } from '../../components/States';
import { OverviewTab } from './OverviewTab';
import { TokensTab } from './TokensTab';
import { ActivityTab } from './ActivityTab';
import { paths, type AgentTab } from '../../routes';

const TABS: AgentTab[] = ['overview', 'tokens', 'activity'];

function AgentView({ project, agentName }: { project: Project; agentName: string }) {
  const [search] = useSearchParams();
  const tabParam = search.get('tab') as AgentTab | null;
  const tab: AgentTab = tabParam && TABS.includes(tabParam) ? tabParam : 'overview';
  const path = project.path_with_namespace;
  const agents = useAgents(path, true);
  if (agents.isPending) return <Loading what="the agent" />;
  if (agents.isError) return <ErrorState error={agents.error} what="the agent" onRetry={() => void agents.refetch()} />;
  const agent = agents.data.find((a) => a.name === agentName);
  if (!agent) {
    return <ErrorState error={new Error(`There is no agent named "${agentName}" in ${path}; it may have been deleted.`)} what="the agent" />;
  }
  return (
    <>
      <Tabs
        label="Agent"
        current={tab}
        tabs={[
          { id: 'overview', label: 'Overview', to: paths.agent(path, agent.name) },
          { id: 'tokens', label: 'Access tokens', to: paths.agent(path, agent.name, { tab: 'tokens' }) },
          { id: 'activity', label: 'Activity', to: paths.agent(path, agent.name, { tab: 'activity' }) },
        ]}
      />
      {tab === 'overview' ? <OverviewTab project={project} agent={agent} /> : null}
      {tab === 'tokens' ? <TokensTab project={project} agent={agent} /> : null}
      {tab === 'activity' ? <ActivityTab agent={agent} /> : null}
    </>
  );
}

export function AgentPage({ path, agentName }: { path: string; agentName: string }) {
  return (
    <ProjectFrame path={path} title={`Agent ${agentName}`} crumbs={[{ label: 'Kubernetes clusters', to: paths.clusters(path) }, { label: agentName }]}>
      {(project) => <AgentView project={project} agentName={agentName} />}
    </ProjectFrame>
  );
}
