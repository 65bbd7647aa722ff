/**
 * An agent's access tokens: list, create (shown once), revoke. At most two are active at
 * a time, so a token can be rotated without downtime: create the second, roll it out,
 * revoke the first. Revoking closes the connections that use the token within seconds.
 */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, idOf } from '../../api/client';
import { keys, useAgentTokens } from '../../api/queries';
import type { Agent, AgentToken, NewAgentToken, Project } from '../../api/types';
import { formError, type FieldError } from '../../api/fields';
import { FormError, TextField } from '../../components/FormField';
import { Empty, ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';
import { TokenReveal } from '../clusters/TokenReveal';

/** The API's limit (src/modules/agents/server.ts MAX_ACTIVE_TOKENS), explained to the user. */
export const MAX_ACTIVE_TOKENS = 2;

function RevokeButton({ token, onRevoke }: { token: AgentToken; onRevoke: (token: AgentToken) => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!confirming) {
    return (
      <button type="button" className="button button-small button-danger" onClick={() => setConfirming(true)} aria-label={`Revoke token ${token.name}`}>
        Revoke
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={`Confirm revoking token ${token.name}`}>
      <p>Agents using “{token.name}” are disconnected and cannot connect with it again.</p>
      <button
        type="button"
        className="button button-small button-danger"
        disabled={busy}
        autoFocus
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await onRevoke(token);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
            setBusy(false);
          }
        }}
      >
        Revoke token {token.name}
      </button>{' '}
      <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function CreateTokenForm({ project, agent, activeCount, onCreated }: { project: Project; agent: Agent; activeCount: number; onCreated: (t: NewAgentToken) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);
  const full = activeCount >= MAX_ACTIVE_TOKENS;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await api.post<NewAgentToken>(`/projects/${idOf(project.path_with_namespace)}/cluster_agents/${agent.id}/tokens`, {
        name,
        ...(description.trim() ? { description } : {}),
      });
      setName('');
      setDescription('');
      onCreated(token);
    } catch (err) {
      setError(formError(err, ['name', 'description']));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-labelledby="create-token-title">
      <h2 id="create-token-title">Create a token</h2>
      {full ? (
        <p className="notice notice-info" id="token-limit">
          This agent has {MAX_ACTIVE_TOKENS} active tokens, the most it can have. Revoke one (the one no longer deployed) before creating another.
        </p>
      ) : null}
      <TextField label="Token name" name="name" value={name} onChange={(e) => setName(e.target.value)} required disabled={full} error={error?.field === 'name' ? error.message : null} />
      <TextField
        label="Description (optional)"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        disabled={full}
        error={error?.field === 'description' ? error.message : null}
      />
      <FormError message={error && error.field === null ? error.message : null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || full} aria-describedby={full ? 'token-limit' : undefined}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

export function TokensTab({ project, agent }: { project: Project; agent: Agent }) {
  const path = project.path_with_namespace;
  const queryClient = useQueryClient();
  const tokens = useAgentTokens(path, agent.id, true);
  const [created, setCreated] = useState<NewAgentToken | null>(null);

  async function refresh() {
    await Promise.all([queryClient.invalidateQueries({ queryKey: keys.tokens(path, agent.id) }), queryClient.invalidateQueries({ queryKey: keys.agents(path) })]);
  }

  async function revoke(token: AgentToken) {
    await api.delete(`/projects/${idOf(path)}/cluster_agents/${agent.id}/tokens/${token.id}`);
    await refresh();
  }

  const active = (tokens.data ?? []).filter((t) => t.status === 'active');
  return (
    <>
      <p>
        An agent connects with one of its tokens. It can have at most {MAX_ACTIVE_TOKENS} active tokens, so that you can rotate them without downtime: create a new token, deploy
        it, then revoke the old one. A revoked token's connections close within seconds.
      </p>
      {created ? <TokenReveal token={created} agentName={agent.name} withInstallCommand /> : null}
      {tokens.isPending ? (
        <Loading what="tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} what="tokens" onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <Empty title="No tokens">
          <p>The agent needs a token to connect; create one below.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Access tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Description</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <th scope="row">{t.name}</th>
                  <td>
                    <span className={t.status === 'active' ? 'badge badge-success' : 'badge badge-neutral'}>{t.status === 'active' ? 'Active' : 'Revoked'}</span>
                  </td>
                  <td>
                    <Time value={t.created_at} />
                  </td>
                  <td>
                    <Time value={t.last_used_at} relative />
                  </td>
                  <td>{t.description ?? ''}</td>
                  <td>{t.status === 'active' ? <RevokeButton token={t} onRevoke={revoke} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateTokenForm
        project={project}
        agent={agent}
        activeCount={active.length}
        onCreated={(t) => {
          setCreated(t);
          void refresh();
        }}
      />
    </>
  );
}
