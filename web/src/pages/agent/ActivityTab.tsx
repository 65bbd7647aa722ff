/**
 * The audit of the Kubernetes requests proxied through this agent
 * (`GET /api/v4/audit_events?agent_id=`): who (job, user), what (verb, resource), how it
 * went (status). The job filter and the page are in the URL, so a filtered view can be
 * bookmarked or sent to a colleague. The API lets administrators read audit events; for
 * anybody else its refusal is shown as it says it.
 */
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, query } from '../../api/client';
import type { Agent, AuditEvent } from '../../api/types';
import { Empty, ErrorState, Loading } from '../../components/States';
import { Pagination, pageFrom } from '../../components/Pagination';
import { TextField } from '../../components/FormField';
import { Time } from '../../components/Time';

const PER_PAGE = 20;

function resourceText(e: AuditEvent): string {
  const kind = [e.api_group ? `${e.resource}.${e.api_group}` : e.resource, e.subresource].filter(Boolean).join('/');
  const where = [e.namespace, e.name].filter(Boolean).join('/');
  return [kind || 'the API', where].filter(Boolean).join(' ');
}

function statusClass(status: number): string {
  if (status >= 500) return 'badge badge-danger';
  if (status >= 400) return 'badge badge-warning';
  return 'badge badge-success';
}

export function ActivityTab({ agent }: { agent: Agent }) {
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const jobId = search.get('job_id') ?? '';
  const page = pageFrom(search);
  const [jobInput, setJobInput] = useState(jobId);
  const [inputError, setInputError] = useState<string | null>(null);
  const events = useQuery({
    queryKey: ['audit', agent.id, jobId, page],
    queryFn: () => api.page<AuditEvent>(`/audit_events${query({ agent_id: agent.id, job_id: jobId, page, per_page: PER_PAGE })}`),
  });

  function applyFilter(event: FormEvent) {
    event.preventDefault();
    const value = jobInput.trim();
    if (value && !/^\d+$/.test(value)) {
      setInputError('job_id must be a job number, like 42');
      return;
    }
    setInputError(null);
    const params = new URLSearchParams(search);
    params.set('tab', 'activity');
    if (value) params.set('job_id', value);
    else params.delete('job_id');
    params.delete('page');
    navigate({ search: `?${params.toString()}` });
  }

  return (
    <>
      <form className="form form-inline" onSubmit={applyFilter} noValidate role="search" aria-label="Filter activity">
        <TextField label="Job" name="job_id" inputMode="numeric" value={jobInput} onChange={(e) => setJobInput(e.target.value)} hint="Only the requests of this CI/CD job." error={inputError} />
        <div className="form-actions">
          <button type="submit" className="button">
            Filter
          </button>
        </div>
      </form>
      {events.isPending ? (
        <Loading what="activity" />
      ) : events.isError ? (
        <ErrorState error={events.error} what="activity" onRetry={() => void events.refetch()} />
      ) : events.data.items.length === 0 ? (
        <Empty title={jobId ? `No requests of job ${jobId} went through this agent` : 'No requests have gone through this agent yet'} />
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Proxied requests</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Status</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {events.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Time value={e.time} />
                    </td>
                    <td>
                      {e.user ? <>@{e.user.username}</> : <span className="muted">unknown</span>}
                      {e.job ? <div className="muted small">job {e.job}{e.project ? ` in ${e.project.path}` : ''}</div> : null}
                    </td>
                    <td>
                      <code>{e.verb}</code> {resourceText(e)}
                      {e.access_as ? <div className="muted small">as {e.access_as}</div> : null}
                    </td>
                    <td>
                      <span className={statusClass(e.status)}>{e.status}</span>
                      {e.error ? <div className="small">{e.error}</div> : null}
                    </td>
                    <td>{e.duration_ms} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={events.data.page} totalPages={events.data.totalPages} label="Activity" />
        </>
      )}
    </>
  );
}
