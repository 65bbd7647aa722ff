/**
 * Provisioning of EKS clusters as a state machine over stored rows, so that a restarted
 * server picks up where it stopped (the stack name and id are stored):
 *
 *   scheduled ──CreateStack──▶ creating ──CREATE_COMPLETE + finalize──▶ created
 *        │                        │
 *        └── refused ──▶ errored ◀┘── any other final stack status, timeout, finalize failing
 *
 * `run(signal)` steps every unfinished cluster, then sleeps a poll interval (or until
 * `wake()`); each transition is a conditional UPDATE, so a step repeated after a crash, or
 * by a second replica, changes nothing twice. Nothing is rolled back (document 003): an
 * errored cluster's reason names the stack to delete.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ClusterProviderAws, Database, EksProvisionStatus } from '../../../store/schema.js';
import { now, transaction } from '../../../store/db.js';
import type { ClusterService } from '../server.js';
import { isAwsCallError, type AwsApi, type AwsSession, type Stack } from './aws.js';
import { FINALIZE_ATTEMPTS, STACK_CREATE_TIMEOUT_MS } from './defaults.js';
import { NotReadyYet, finalizeCluster } from './finalize.js';
import { RoleDeniedError, stackFailureReason } from './messages.js';
import type { RoleSessions } from './sessions.js';
import type { EksTemplate } from './template.js';

export interface ProvisionerDeps {
  db: Kysely<Database>;
  aws: AwsApi;
  sessions: RoleSessions;
  clusters: ClusterService;
  template: EksTemplate;
  pollIntervalMs: number;
  /** SSM parameter of the node AMI, `{version}` replaced. */
  nodeAmiParameter: string;
  logger: Logger;
  now?: () => number;
}

const IN_PROGRESS = new Set(['CREATE_IN_PROGRESS', 'REVIEW_IN_PROGRESS']);

export class EksProvisioner {
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly finalizeFailures = new Map<number, number>();
  private readonly clock: () => number;

  constructor(private readonly deps: ProvisionerDeps) {
    this.clock = deps.now ?? Date.now;
  }

  /** Steps every unfinished cluster until `signal` aborts; resumes what a previous process left. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick(signal);
      await this.idle(signal);
    }
  }

  /** A new cluster was scheduled: step it now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** One pass over the unfinished clusters (exposed for tests that drive the clock). */
  async tick(signal: AbortSignal): Promise<void> {
    const rows = await this.deps.db.selectFrom('cluster_providers_aws').selectAll().where('status', 'in', ['scheduled', 'creating']).orderBy('id').execute();
    for (const row of rows) {
      if (signal.aborted) return;
      try {
        await this.step(row, signal);
      } catch (err) {
        if (signal.aborted) return;
        // Unexpected (the database, a bug): the row stays as it is and is tried again.
        this.deps.logger.error({ err, clusterId: row.cluster_id }, 'EKS provisioning step failed; retrying at the next poll');
      }
    }
  }

  private idle(signal: AbortSignal): Promise<void> {
    // Aborted during the tick: an abort listener added now would never fire.
    if (this.woken || signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      // Never what keeps the process alive: shutdown aborts the loop anyway.
      const timer = setTimeout(done, this.deps.pollIntervalMs).unref();
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }

  private async step(row: ClusterProviderAws, signal: AbortSignal): Promise<void> {
    let session: AwsSession;
    try {
      session = await this.deps.sessions.session({ roleArn: row.role_arn, externalId: row.external_id, region: row.region });
    } catch (err) {
      // Role B refused now (its trust changed): say so and keep the stack. Anything else
      // (the integration switched off, no credentials, AWS unreachable) may pass: retry.
      if (err instanceof RoleDeniedError) return this.fail(row, `${err.message} (the stack ${row.stack_name} is left as it is)`);
      this.deps.logger.warn({ err, clusterId: row.cluster_id }, 'EKS provisioning: role could not be assumed; retrying');
      return;
    }
    if (row.status === 'scheduled') {
      const stackId = await this.createStack(row, session);
      if (!stackId) return;
      row = { ...row, stack_id: stackId, status: 'creating' };
    }
    await this.poll(row, session, signal);
  }

  private async createStack(row: ClusterProviderAws, session: AwsSession): Promise<string | undefined> {
    const { template } = this.deps;
    try {
      const stackId = await this.deps.aws.createStack(session, {
        name: row.stack_name,
        template: template.body,
        // One token per cluster: the same call after a restart returns the same stack.
        clientRequestToken: `kubegate-cluster-${row.cluster_id}`,
        parameters: {
          ClusterName: row.cluster_name,
          ClusterRole: row.service_role_arn,
          KubernetesVersion: row.kubernetes_version,
          ClusterControlPlaneSecurityGroup: row.security_group_id,
          VpcId: row.vpc_id,
          Subnets: (JSON.parse(row.subnet_ids) as string[]).join(','),
          KeyName: row.key_name,
          NodeInstanceType: row.instance_type,
          NodeAutoScalingGroupDesiredCapacity: String(row.num_nodes),
          NodeImageIdSSMParam: this.deps.nodeAmiParameter.replaceAll('{version}', row.kubernetes_version),
        },
      });
      const moved = await this.transition(row, 'creating', null, { stack_id: stackId });
      if (moved) this.deps.logger.info({ clusterId: row.cluster_id, stackId }, 'EKS cluster stack created');
      return moved ? stackId : undefined;
    } catch (err) {
      if (isAwsCallError(err) && err.httpStatus !== undefined && err.httpStatus < 500 && err.code !== 'Throttling') {
        await this.fail(row, `CloudFormation refused to create stack ${row.stack_name} in ${row.region}: ${err.code}: ${err.message}; check role B has document 003's policy and the form's values exist in that region`);
        return undefined;
      }
      this.deps.logger.warn({ err, clusterId: row.cluster_id }, 'EKS provisioning: CreateStack failed; retrying');
      return undefined;
    }
  }

  private async poll(row: ClusterProviderAws, session: AwsSession, signal: AbortSignal): Promise<void> {
    let stack: Stack;
    try {
      stack = await this.deps.aws.describeStack(session, row.stack_id ?? row.stack_name);
    } catch (err) {
      if (isAwsCallError(err) && err.code === 'ValidationError' && /does not exist/.test(err.message)) {
        return this.fail(row, `CloudFormation stack ${row.stack_name} no longer exists in ${row.region} (deleted by hand?); delete this cluster and create it again`);
      }
      this.deps.logger.warn({ err, clusterId: row.cluster_id }, 'EKS provisioning: DescribeStacks failed; retrying');
      return;
    }
    if (IN_PROGRESS.has(stack.status)) {
      if (this.clock() - Date.parse(row.created_at) > STACK_CREATE_TIMEOUT_MS) {
        return this.fail(row, `CloudFormation stack ${row.stack_name} is still ${stack.status} after ${STACK_CREATE_TIMEOUT_MS / 60_000} minutes; Kubegate stopped waiting: look at the stack's events in the CloudFormation console (region ${row.region}) and delete it`);
      }
      return;
    }
    if (stack.status === 'CREATE_COMPLETE') return this.finalize(row, session, stack, signal);
    let events: Awaited<ReturnType<AwsApi['stackEvents']>> = [];
    try {
      events = await this.deps.aws.stackEvents(session, stack.id);
    } catch (err) {
      this.deps.logger.warn({ err, clusterId: row.cluster_id }, 'EKS provisioning: stack events could not be read');
    }
    const reason = stackFailureReason(
      { stackName: row.stack_name, stackId: stack.id, region: row.region, status: stack.status, statusReason: stack.statusReason, serviceRoleArn: row.service_role_arn },
      events,
    );
    return this.fail(row, reason);
  }

  private async finalize(row: ClusterProviderAws, session: AwsSession, stack: Stack, signal: AbortSignal): Promise<void> {
    try {
      const ready = await finalizeCluster(this.deps.aws, session, row.cluster_name, stack.outputs.NodeInstanceRole, signal);
      const done = await transaction(this.deps.db, async (trx) => {
        const moved = await this.transition(row, 'created', null, {}, trx);
        if (moved) await this.deps.clusters.completeProvisioning(trx, row.cluster_id, ready);
        return moved;
      });
      this.finalizeFailures.delete(row.id);
      if (done) this.deps.logger.info({ clusterId: row.cluster_id, apiUrl: ready.apiUrl }, 'EKS cluster created and ready for jobs');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof NotReadyYet) return;
      const failures = (this.finalizeFailures.get(row.id) ?? 0) + 1;
      this.finalizeFailures.set(row.id, failures);
      const detail = isAwsCallError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
      if (failures < FINALIZE_ATTEMPTS) {
        this.deps.logger.warn({ err, clusterId: row.cluster_id, failures }, 'EKS cluster stack complete, but the cluster could not be set up yet; retrying');
        return;
      }
      this.finalizeFailures.delete(row.id);
      return this.fail(
        row,
        `CloudFormation stack ${row.stack_name} is CREATE_COMPLETE, but Kubegate could not set up the cluster (${detail}); check that role B can call eks:DescribeCluster and reach the cluster's API, then delete this cluster and the stack and create it again`,
      );
    }
  }

  private async fail(row: ClusterProviderAws, reason: string): Promise<void> {
    if (await this.transition(row, 'errored', reason)) this.deps.logger.warn({ clusterId: row.cluster_id, reason }, 'EKS cluster creation failed');
  }

  /** Moves the row on only from the status it was read in; false when someone else did first. */
  private async transition(
    row: ClusterProviderAws,
    status: EksProvisionStatus,
    reason: string | null,
    extra: { stack_id?: string } = {},
    db: Kysely<Database> = this.deps.db,
  ): Promise<boolean> {
    const res = await db
      .updateTable('cluster_providers_aws')
      .set({ status, status_reason: reason, updated_at: now(), ...extra })
      .where('id', '=', row.id)
      .where('status', '=', row.status)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
