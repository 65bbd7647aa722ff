/**
 * The project's agents with their live status. The list is polled (STATUS_POLL_MS) while
 * the page is visible, so an agent's badge turns "Connected" within seconds of its first
 * pod connecting, without a reload.
 */
import { Link } from 'react-router';
import { useQueries } from '@tanstack/react-query';
import { api, idOf, query } from '../../api/client';
import { keys, TOKENS_POLL_MS, useAgents } from '../../api/queries';
import type { Agent, AgentToken, Project } from '../../api/types';
import { Empty, ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';
import { StatusBadge } from './StatusBadge';
import { connectionStatus, distinct, lastUsed } from './agentStatus';
import { ConfigurationProblems, configFilePath } from './ConfigurationProblems';
import { paths } from '../../routes';

function AgentRow({ agent, tokens, project }: { agent: Agent; tokens: AgentToken[] | undefined; project: Project }) {
  const status = connectionStatus(agent, tokens);
  const versions = distinct(agent.connections.map((c) => c.version));
  const kubeVersions = distinct(agent.connections.map((c) => c.kubernetes_version));
  const { errors, warnings } = agent.configuration;
  return (
    <tr data-agent={agent.name}>
      <th scope="row">
        <Link to={paths.agent(project.path_with_namespace, agent.name)}>{agent.name}</Link>
      </th>
      <td data-label="Connection status">
        <StatusBadge status={status} />
        {status.kind === 'connected' ? <div className="muted small">{status.pods === 1 ? '1 pod' : `${status.pods} pods`}</div> : null}
      </td>
      <td data-label="Last contact">{status.kind === 'connected' ? <span>Now</span> : <Time value={lastUsed(tokens)} relative />}</td>
      <td data-label="Agent version">
        {versions.length > 0 ? versions.join(', ') : <span className="muted">—</span>}
        {agent.warnings.map((w) => (
          <p key={w.type} className="inline-warning">
            <span className="badge badge-warning">Warning</span> {w.message}
          </p>
        ))}
      </td>
      <td data-label="Kubernetes version">{kubeVersions.length > 0 ? kubeVersions.join(', ') : <span className="muted">—</span>}</td>
      <td data-label="Configuration">
        <Link to={paths.blob(project.path_with_namespace, project.default_branch, configFilePath(agent.name))}>config.yaml</Link>
        {errors.length > 0 ? (
          <div>
            <span className="badge badge-danger">{errors.length === 1 ? '1 error' : `${errors.length} errors`}</span>
          </div>
        ) : null}
        {warnings.length > 0 ? (
          <div>
            <span className="badge badge-warning">{warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`}</span>
          </div>
        ) : null}
      </td>
    </tr>
  );
}

export function AgentsTab({ project }: { project: Project }) {
  const path = project.path_with_namespace;
  const agents = useAgents(path, true);
  const tokens = useQueries({
    queries: (agents.data ?? []).map((agent) => ({
      queryKey: keys.tokens(path, agent.id),
      queryFn: () => api.get<AgentToken[]>(`/projects/${idOf(path)}/cluster_agents/${agent.id}/tokens${query({ per_page: 100 })}`),
      refetchInterval: TOKENS_POLL_MS,
    })),
  });

  if (agents.isPending) return <Loading what="agents" />;
  if (agents.isError) return <ErrorState error={agents.error} what="agents" onRetry={() => void agents.refetch()} />;
  if (agents.data.length === 0) {
    return (
      <Empty title="No agents yet">
        <p>An agent runs in your cluster and connects it to Kubegate. Register one, then install it with the command you get.</p>
        <Link className="button button-primary" to={paths.connectCluster(path)}>
          Connect a cluster
        </Link>
      </Empty>
    );
  }
  return (
    <>
      <div className="table-wrap">
        <table className="agents">
          <caption className="visually-hidden">Agents of {project.name_with_namespace}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Connection status</th>
              <th scope="col">Last contact</th>
              <th scope="col">Agent version</th>
              <th scope="col">Kubernetes version</th>
              <th scope="col">Configuration</th>
            </tr>
          </thead>
          <tbody>
            {agents.data.map((agent, i) => (
              <AgentRow key={agent.id} agent={agent} tokens={tokens[i]?.data} project={project} />
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small" aria-live="off">
        Status refreshes every few seconds.{' '}
        {agents.dataUpdatedAt ? (
          <>
            Last checked <Time value={new Date(agents.dataUpdatedAt).toISOString()} relative />.
          </>
        ) : null}
      </p>
      {agents.data.map((agent) => (
        <ConfigurationProblems key={agent.id} agent={agent} project={project} />
      ))}
    </>
  );
}
