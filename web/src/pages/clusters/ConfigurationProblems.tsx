/**
 * An agent configuration's errors and warnings, each linked to the line of the file it
 * is about (on the default branch, where the newest file is).
 */
import { Link } from 'react-router';
import type { Agent, ConfigProblem, Project } from '../../api/types';
import { paths } from '../../routes';

export function configFilePath(agentName: string): string {
  return `.gitlab/agents/${agentName}/config.yaml`;
}

function ProblemItem({ problem, kind, project, agent }: { problem: ConfigProblem; kind: 'Error' | 'Warning'; project: Project; agent: Agent }) {
  const file = configFilePath(agent.name);
  return (
    <li className={kind === 'Error' ? 'problem problem-error' : 'problem problem-warning'}>
      <span className={kind === 'Error' ? 'badge badge-danger' : 'badge badge-warning'}>{kind}</span> <span className="problem-message">{problem.message}</span>{' '}
      {problem.line ? (
        <Link to={paths.blob(project.path_with_namespace, project.default_branch, file, problem.line)}>
          {`${file}, line ${problem.line}${problem.column ? `, column ${problem.column}` : ''}`}
        </Link>
      ) : null}
    </li>
  );
}

export function ConfigurationProblems({ agent, project, headingLevel = 3 }: { agent: Agent; project: Project; headingLevel?: 2 | 3 }) {
  const { errors, warnings } = agent.configuration;
  if (errors.length === 0 && warnings.length === 0) return null;
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className="problems" aria-labelledby={`problems-${agent.id}`}>
      <Heading id={`problems-${agent.id}`}>Configuration of {agent.name}</Heading>
      {errors.length > 0 ? (
        <p className="notice notice-danger">
          The newest <code>config.yaml</code> was rejected; the agent keeps the last valid configuration
          {agent.configuration.commit ? (
            <>
              {' '}
              (commit <code>{agent.configuration.commit.slice(0, 8)}</code>)
            </>
          ) : (
            ' (the defaults)'
          )}{' '}
          until the file is fixed.
        </p>
      ) : null}
      <ul className="problem-list">
        {errors.map((p, i) => (
          <ProblemItem key={`e${i}`} problem={p} kind="Error" project={project} agent={agent} />
        ))}
        {warnings.map((p, i) => (
          <ProblemItem key={`w${i}`} problem={p} kind="Warning" project={project} agent={agent} />
        ))}
      </ul>
    </section>
  );
}
