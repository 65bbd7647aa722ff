/** An EKS cluster's provisioning status (`provider_aws.status_name`) in words. */
import type { CertificateCluster } from '../../api/types';

export type ProvisionStatus = NonNullable<CertificateCluster['provider_aws']>['status_name'];

export const PROVISION_STATUS: Record<ProvisionStatus, { label: string; badge: string; done: boolean }> = {
  scheduled: { label: 'Scheduled', badge: 'badge-neutral', done: false },
  creating: { label: 'Creating', badge: 'badge-warning', done: false },
  created: { label: 'Created', badge: 'badge-success', done: true },
  errored: { label: 'Errored', badge: 'badge-danger', done: true },
};

/** Whether the cluster is still being made in AWS (its page follows it then). */
export function inProgress(cluster: CertificateCluster): boolean {
  return cluster.provider_aws !== null && !PROVISION_STATUS[cluster.provider_aws.status_name].done;
}

export function ProvisionBadge({ status }: { status: ProvisionStatus }) {
  const s = PROVISION_STATUS[status];
  return (
    <span className={`badge ${s.badge}`} data-provision-status={status}>
      {s.label}
    </span>
  );
}
