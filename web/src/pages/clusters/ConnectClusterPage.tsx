/**
 * Connect a cluster: name the agent (checked as you type, with the API's messages),
 * "Create and register" registers it and creates its first token, which is shown once
 * with the installation command.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api, idOf } from '../../api/client';
import { keys } from '../../api/queries';
import type { Agent, NewAgentToken } from '../../api/types';
import { formError, type FieldError } from '../../api/fields';
import { ProjectFrame } from '../ProjectFrame';
import { FormError, TextField } from '../../components/FormField';
import { agentNameProblem } from './agentName';
import { configFilePath } from './ConfigurationProblems';
import { TokenReveal } from './TokenReveal';
import { paths } from '../../routes';

type Outcome = { agent: Agent; token: NewAgentToken } | { agent: Agent; tokenError: string };

function ConnectForm({ projectPath }: { projectPath: string }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  // Every keystroke is checked; an empty field is only "missing" once the user left it or submitted.
  const live = agentNameProblem(name);
  const shownProblem = error?.field === 'name' ? error.message : name.length > 0 || touched ? live : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (live) return;
    setBusy(true);
    setError(null);
    let agent: Agent;
    try {
      agent = await api.post<Agent>(`/projects/${idOf(projectPath)}/cluster_agents`, { name });
    } catch (err) {
      setError(formError(err, ['name'], 'name'));
      setBusy(false);
      return;
    }
    try {
      // GitLab names the first token after the agent.
      const token = await api.post<NewAgentToken>(`/projects/${idOf(projectPath)}/cluster_agents/${agent.id}/tokens`, { name: agent.name });
      setOutcome({ agent, token });
    } catch (err) {
      setOutcome({ agent, tokenError: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
      await queryClient.invalidateQueries({ queryKey: keys.agents(projectPath) });
    }
  }

  if (outcome) {
    return (
      <>
        <p className="notice notice-success" role="status">
          Agent <strong>{outcome.agent.name}</strong> is registered.
        </p>
        {'token' in outcome ? (
          <TokenReveal token={outcome.token} agentName={outcome.agent.name} withInstallCommand />
        ) : (
          <p className="form-error" role="alert">
            The agent was registered, but its token could not be created: {outcome.tokenError}. Create one on the{' '}
            <Link to={paths.agent(projectPath, outcome.agent.name, { tab: 'tokens' })}>agent's Access tokens tab</Link>.
          </p>
        )}
        <p>
          <Link className="button" to={paths.clusters(projectPath)}>
            Close and go to the clusters
          </Link>
        </p>
      </>
    );
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <TextField
        label="Agent name"
        name="name"
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          setError(null);
        }}
        onBlur={() => setTouched(true)}
        required
        autoComplete="off"
        spellCheck={false}
        maxLength={255}
        hint={
          <>
            Lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters. If <code>{configFilePath(name || '<name>')}</code> exists on the
            default branch, it is the agent's configuration; otherwise the agent starts with the defaults.
          </>
        }
        error={shownProblem}
      />
      <FormError message={error && error.field === null ? error.message : null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Registering…' : 'Create and register'}
        </button>
      </div>
    </form>
  );
}

export function ConnectClusterPage({ path }: { path: string }) {
  return (
    <ProjectFrame path={path} title="Connect a cluster" crumbs={[{ label: 'Kubernetes clusters', to: paths.clusters(path) }, { label: 'Connect a cluster' }]}>
      {(p) => <ConnectForm projectPath={p.path_with_namespace} />}
    </ProjectFrame>
  );
}
