/**
 * The CloudFormation stack's events of an EKS cluster (`GET …/clusters/:id/stack_events`,
 * read live from CloudFormation, newest first), polled while the cluster is being
 * created. Reading them needs `cloudformation:DescribeStackEvents` on role B, which
 * document 003's policy lacks: the API's refusal says so, and is shown as it says it.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, idOf } from '../../api/client';
import type { StackEvents } from '../../api/types';
import { ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';

/** Each poll reads CloudFormation as role B, which throttles eager callers: not more often than this. */
export const STACK_EVENTS_POLL_MS = 5_000;

function statusBadge(status: string): string {
  if (/_FAILED$|^ROLLBACK|^DELETE/.test(status)) return 'badge badge-danger';
  if (/_COMPLETE$/.test(status)) return 'badge badge-success';
  return 'badge badge-warning';
}

export function StackEventsTable({ projectPath, clusterId, poll, providerStatus }: { projectPath: string; clusterId: number; poll: boolean; providerStatus: string }) {
  const events = useQuery({
    // The provider's status in the key: the events are read once more when it changes.
    queryKey: ['stackEvents', projectPath, clusterId, providerStatus],
    queryFn: () => api.get<StackEvents>(`/projects/${idOf(projectPath)}/clusters/${clusterId}/stack_events`),
    refetchInterval: poll ? STACK_EVENTS_POLL_MS : false,
    // A refusal (a missing permission) will not pass by asking again at once.
    retry: false,
  });
  return (
    <section aria-labelledby="stack-events-title">
      <h2 id="stack-events-title">CloudFormation stack events</h2>
      {events.isPending ? (
        <Loading what="the stack's events" />
      ) : events.isError ? (
        events.error instanceof ApiError && events.error.status === 409 ? (
          <p className="muted">{events.error.message}</p>
        ) : (
          <ErrorState error={events.error} what="the stack's events" onRetry={() => void events.refetch()} />
        )
      ) : (
        <>
          <p className="muted small">
            Stack <code className="wrap">{events.data.stack_id}</code>
            {poll ? ' — updated every few seconds while the cluster is being created.' : null}
          </p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Stack events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {events.data.events.map((e, i) => (
                  <tr key={`${e.timestamp}-${e.logical_resource_id}-${e.resource_status}-${i}`}>
                    <td>
                      <Time value={e.timestamp} />
                    </td>
                    <th scope="row" className="wrap">
                      {e.logical_resource_id}
                    </th>
                    <td className="wrap">{e.resource_type}</td>
                    <td>
                      <span className={statusBadge(e.resource_status)}>{e.resource_status}</span>
                    </td>
                    <td className="wrap">{e.resource_status_reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
