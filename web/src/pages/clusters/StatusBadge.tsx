import type { ConnectionStatus } from './agentStatus';
import { STATUS_LABEL } from './agentStatus';

const BADGE_CLASS: Record<ConnectionStatus['kind'], string> = {
  connected: 'badge badge-success',
  notConnected: 'badge badge-danger',
  neverConnected: 'badge badge-neutral',
  unknown: 'badge badge-neutral',
};

/** The connection badge; its text says it all (colour is never the only sign). */
export function StatusBadge({ status }: { status: ConnectionStatus }) {
  return (
    <span className={BADGE_CLASS[status.kind]} data-status={status.kind}>
      {STATUS_LABEL[status.kind]}
    </span>
  );
}
