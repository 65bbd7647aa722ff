/**
 * An agent at a glance: connection status and each connected pod, version warnings, the
 * configuration in force (and its commit), its problems, and whose CI/CD jobs it serves.
 */
import { Link } from 'react-router';
import { useAgentTokens } from '../../api/queries';
import type { Agent, CiAccessEntry, Project } from '../../api/types';
import { Empty } from '../../components/States';
import { Time } from '../../components/Time';
import { StatusBadge } from '../clusters/StatusBadge';
import { connectionStatus, lastUsed } from '../clusters/agentStatus';
import { ConfigurationProblems, configFilePath } from '../clusters/ConfigurationProblems';
import { paths } from '../../routes';

function accessAsText(accessAs: Record<string, unknown>): string {
  const [kind, value] = Object.entries(accessAs)[0] ?? ['agent', {}];
  if (kind === 'impersonate') {
    const { username } = value as { username?: string };
    return `impersonate ${username ?? ''}`.trim();
  }
  return kind;
}

function AccessTable({ entries, caption, kind }: { entries: CiAccessEntry[]; caption: string; kind: 'Project' | 'Group' }) {
  if (entries.length === 0) return null;
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{kind}</th>
            <th scope="col">Default namespace</th>
            <th scope="col">Access as</th>
            <th scope="col">Environments</th>
            <th scope="col">Protected branches only</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <th scope="row">
                <Link to={kind === 'Project' ? paths.project(e.id) : paths.group(e.id)}>{e.id}</Link>
              </th>
              <td>{e.default_namespace ?? <span className="muted">none</span>}</td>
              <td>{accessAsText(e.access_as)}</td>
              <td>{e.environments ? e.environments.join(', ') : <span className="muted">any</span>}</td>
              <td>{e.protected_branches_only ? 'Yes' : 'No'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewTab({ project, agent }: { project: Project; agent: Agent }) {
  const path = project.path_with_namespace;
  const tokens = useAgentTokens(path, agent.id, true);
  const status = connectionStatus(agent, tokens.data);
  const { commit, ci_access: access } = agent.configuration;
  const file = configFilePath(agent.name);
  return (
    <>
      <section aria-labelledby="status-title">
        <h2 id="status-title">Connection</h2>
        <p>
          <StatusBadge status={status} /> {status.kind === 'connected' ? `${status.pods === 1 ? '1 pod' : `${status.pods} pods`} connected.` : null}{' '}
          {status.kind !== 'connected' ? (
            <>
              Last contact: <Time value={lastUsed(tokens.data)} relative />.
            </>
          ) : null}
        </p>
        {agent.warnings.map((w) => (
          <p key={w.type} className="notice notice-warning">
            {w.message}
          </p>
        ))}
        {agent.connections.length === 0 ? (
          <Empty title="No connected pods">
            <p>
              Install the agent with a token from the <Link to={paths.agent(path, agent.name, { tab: 'tokens' })}>Access tokens</Link> tab; its pods appear here within seconds of
              connecting.
            </p>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Connected pods</caption>
              <thead>
                <tr>
                  <th scope="col">Pod</th>
                  <th scope="col">Connected since</th>
                  <th scope="col">Agent version</th>
                  <th scope="col">Kubernetes version</th>
                  <th scope="col">Tunnel</th>
                </tr>
              </thead>
              <tbody>
                {agent.connections.map((c) => (
                  <tr key={c.connection_id}>
                    <th scope="row">
                      {c.pod_namespace}/{c.pod_name}
                    </th>
                    <td>
                      <Time value={c.connected_at} />
                    </td>
                    <td>
                      {c.version} {c.commit ? <span className="muted small">({c.commit.slice(0, 8)})</span> : null}
                    </td>
                    <td>{c.kubernetes_version || <span className="muted">not reported yet</span>}</td>
                    <td>{c.tunnel_transport === 'h2' ? 'HTTP/2' : 'WebSocket'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="configuration-title">
        <h2 id="configuration-title">Configuration</h2>
        {commit ? (
          <p>
            In force: <Link to={paths.blob(path, commit, file)}>{file}</Link> at commit <code>{commit.slice(0, 12)}</code>.
          </p>
        ) : (
          <p>
            No configuration file is in force: the defaults apply (only this project's CI/CD jobs may use the agent). Add{' '}
            <Link to={paths.blob(path, project.default_branch, file)}>{file}</Link> on <code>{project.default_branch}</code> to configure it.
          </p>
        )}
        <ConfigurationProblems agent={agent} project={project} />
      </section>

      <section aria-labelledby="access-title">
        <h2 id="access-title">CI/CD access</h2>
        <p>
          Jobs of <Link to={paths.project(path)}>{path}</Link> may always use this agent (as the agent itself).
          {access.projects.length + access.groups.length === 0 ? ' The configuration shares it with no other project or group.' : ' The configuration also shares it with:'}
        </p>
        <AccessTable entries={access.projects} caption="Projects" kind="Project" />
        <AccessTable entries={access.groups} caption="Groups (and every project in them)" kind="Group" />
      </section>
      {/*
        Seam for issue 13 (receptive agents): the agent's URL configuration
        (`…/cluster_agents/:agent_id/url_configurations`: URL, public key, create and
        delete) is a section here, after CI/CD access.
      */}
    </>
  );
}
