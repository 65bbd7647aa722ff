/**
 * The EKS creation flow of document 003, step by step, for the API:
 *
 * 1. `create`: a creation request with a fresh external ID; with the instance's account ID
 *    it is what the user needs to create role B.
 * 2. `authorize`: sts:AssumeRole(role B, external ID) in the chosen region.
 * 3. `options`: the form's lists, loaded as role B in that region.
 * 4. `createCluster`: the form checked against AWS, then the cluster stored as scheduled
 *    for the provisioner.
 *
 * A request belongs to the user who started it: the external ID is what protects role B
 * from being assumed on someone else's behalf.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Cluster, ClusterEksRequest, Database } from '../../../store/schema.js';
import { now } from '../../../store/db.js';
import { KubegateError, badRequest, conflict, notFound } from '../../../lib/errors.js';
import { parse } from '../../../lib/validate.js';
import type { ClusterOwner, ClusterService } from '../server.js';
import { isAwsCallError, type AwsApi, type AwsSession } from './aws.js';
import { EKS_CLUSTER_POLICY_ARN_SUFFIX, EXTERNAL_ID_BYTES } from './defaults.js';
import { authorizeInput, checkRoleArn, clusterForm, completeForm, type ClusterForm } from './form.js';
import { awsUnavailable, optionsNotLoaded, serviceRoleWithoutEksPolicy } from './messages.js';
import type { RoleSessions } from './sessions.js';
import type { EksSettingsService } from './settings.js';
import type { EksTemplate } from './template.js';

export const OPTION_RESOURCES = ['regions', 'kubernetes_versions', 'instance_types', 'key_pairs', 'vpcs', 'subnets', 'security_groups', 'roles'] as const;
export type OptionResource = (typeof OPTION_RESOURCES)[number];

export interface EksRequestDeps {
  db: Kysely<Database>;
  aws: AwsApi;
  sessions: RoleSessions;
  settings: EksSettingsService;
  clusters: ClusterService;
  template: EksTemplate;
  /** Wakes the provisioner when a cluster is scheduled. */
  scheduled: () => void;
}

export function ownerKeyOf(owner: ClusterOwner): string {
  if (owner.kind === 'project') return `project:${owner.project.id}`;
  if (owner.kind === 'group') return `group:${owner.group.id}`;
  return 'instance';
}

/** `kubegate-<cluster id>-<name>`: letters, digits and `-`, at most 128 (CloudFormation's rule). */
export function stackNameFor(clusterId: number, name: string): string {
  return `kubegate-${clusterId}-${name.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 128);
}

export class EksRequests {
  private readonly form: ReturnType<typeof clusterForm>;

  constructor(private readonly deps: EksRequestDeps) {
    this.form = clusterForm(deps.template);
  }

  async create(owner: ClusterOwner, userId: number): Promise<{ request: ClusterEksRequest; accountId: string }> {
    const { accountId } = await this.deps.settings.credentials();
    const request = await this.deps.db
      .insertInto('cluster_eks_requests')
      .values({
        owner_key: ownerKeyOf(owner),
        project_id: owner.kind === 'project' ? owner.project.id : null,
        group_id: owner.kind === 'group' ? owner.group.id : null,
        user_id: userId,
        external_id: randomBytes(EXTERNAL_ID_BYTES).toString('hex'),
        role_arn: null,
        region: null,
        authorized_at: null,
        cluster_id: null,
        created_at: now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { request, accountId };
  }

  list(owner: ClusterOwner, userId: number): Promise<ClusterEksRequest[]> {
    return this.deps.db.selectFrom('cluster_eks_requests').selectAll().where('owner_key', '=', ownerKeyOf(owner)).where('user_id', '=', userId).orderBy('id').execute();
  }

  async find(owner: ClusterOwner, userId: number, id: number): Promise<ClusterEksRequest> {
    const row = await this.deps.db
      .selectFrom('cluster_eks_requests')
      .selectAll()
      .where('id', '=', id)
      .where('owner_key', '=', ownerKeyOf(owner))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw notFound('EKS creation request');
    return row;
  }

  /** Authenticate with AWS: assume role B in the region and check the region is open to it. */
  async authorize(owner: ClusterOwner, userId: number, id: number, body: unknown): Promise<ClusterEksRequest> {
    const request = await this.find(owner, userId, id);
    const input = parse(authorizeInput, body);
    const roleArn = checkRoleArn(input.role_arn, 'role_arn, the provision role (role B)');
    const session = await this.deps.sessions.session({ roleArn, externalId: request.external_id, region: input.region });
    let regions: string[];
    try {
      regions = await this.deps.aws.regions(session);
    } catch (err) {
      if (!isAwsCallError(err)) throw err;
      throw optionsNotLoaded('regions', err, { region: input.region });
    }
    if (!regions.includes(input.region)) {
      throw new KubegateError('unprocessable', `region ${input.region} is not enabled for the account of ${roleArn}; choose one of ${regions.join(', ')}`);
    }
    return this.deps.db
      .updateTable('cluster_eks_requests')
      .set({ role_arn: roleArn, region: input.region, authorized_at: now() })
      .where('id', '=', request.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async options(owner: ClusterOwner, userId: number, id: number, resource: string, query: { vpc_id?: string | undefined }): Promise<unknown[]> {
    if (!(OPTION_RESOURCES as readonly string[]).includes(resource)) throw notFound(`Option list "${resource}" (one of ${OPTION_RESOURCES.join(', ')})`);
    const { template } = this.deps;
    if (resource === 'kubernetes_versions') return template.kubernetesVersions.map((version) => ({ version, default: version === template.defaultKubernetesVersion }));
    if (resource === 'instance_types') return template.instanceTypes.map((name) => ({ name, default: name === template.defaultInstanceType }));
    const { session } = await this.authorizedSession(owner, userId, id);
    const vpcId = query.vpc_id;
    if ((resource === 'subnets' || resource === 'security_groups') && !vpcId) throw badRequest(`vpc_id is missing: ${resource} are listed per VPC (?vpc_id=vpc-…)`);
    const { aws } = this.deps;
    try {
      switch (resource as OptionResource) {
        case 'regions':
          return (await aws.regions(session)).map((name) => ({ name }));
        case 'key_pairs':
          return await aws.keyPairs(session);
        case 'vpcs':
          return await aws.vpcs(session);
        case 'subnets':
          return await aws.subnets(session, vpcId!);
        case 'security_groups':
          return await aws.securityGroups(session, vpcId!);
        default:
          return await aws.roles(session);
      }
    } catch (err) {
      if (!isAwsCallError(err)) throw err;
      if (err.httpStatus === undefined || err.httpStatus >= 500) throw awsUnavailable(`${resource} could not be loaded`, err);
      throw optionsNotLoaded(resource, err, { region: session.region, vpcId });
    }
  }

  /** Checks the form (against AWS too), then stores the cluster as scheduled. */
  async createCluster(owner: ClusterOwner, userId: number, id: number, body: unknown): Promise<Cluster> {
    const { request, session } = await this.authorizedSession(owner, userId, id);
    if (request.cluster_id !== null) throw conflict(`this creation request already made cluster ${request.cluster_id}; start a new one (POST …/clusters/eks_requests) for another cluster`);
    const form = completeForm(parse(this.form, body), this.deps.template);
    await this.checkAgainstAws(session, form);
    const { cluster } = await this.deps.clusters.createProvisioned(
      owner,
      { name: form.name, environmentScope: form.environmentScope, managed: form.managed, providerType: 'aws' },
      userId,
      async (trx, created) => {
        const at = now();
        await trx
          .insertInto('cluster_providers_aws')
          .values({
            cluster_id: created.id,
            request_id: request.id,
            cluster_name: form.name,
            role_arn: request.role_arn!,
            external_id: request.external_id,
            region: request.region!,
            service_role_arn: form.serviceRoleArn,
            kubernetes_version: form.kubernetesVersion,
            key_name: form.keyName,
            vpc_id: form.vpcId,
            subnet_ids: JSON.stringify(form.subnetIds),
            security_group_id: form.securityGroupId,
            instance_type: form.instanceType,
            num_nodes: form.numNodes,
            stack_name: stackNameFor(created.id, form.name),
            stack_id: null,
            status: 'scheduled',
            status_reason: null,
            created_at: at,
            updated_at: at,
          })
          .execute();
        await trx.updateTable('cluster_eks_requests').set({ cluster_id: created.id }).where('id', '=', request.id).execute();
      },
    );
    this.deps.scheduled();
    return cluster;
  }

  private async authorizedSession(owner: ClusterOwner, userId: number, id: number): Promise<{ request: ClusterEksRequest; session: AwsSession }> {
    const request = await this.find(owner, userId, id);
    if (!request.role_arn || !request.region) {
      throw conflict(`authenticate with AWS first: POST …/clusters/eks_requests/${request.id}/authorize with role_arn (role B) and region`);
    }
    const session = await this.deps.sessions.session({ roleArn: request.role_arn, externalId: request.external_id, region: request.region });
    return { request, session };
  }

  /**
   * What CloudFormation would reject ten minutes in, caught now with the form's own lists:
   * the key pair, the VPC's subnets (two availability zones) and security group, a free
   * cluster name, and role A's EKS policy (document 003's last troubleshooting case).
   */
  private async checkAgainstAws(session: AwsSession, form: ClusterForm): Promise<void> {
    const { aws } = this.deps;
    const load = async <T>(resource: OptionResource, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (!isAwsCallError(err)) throw err;
        if (err.httpStatus === undefined || err.httpStatus >= 500) throw awsUnavailable(`${resource} could not be loaded`, err);
        throw optionsNotLoaded(resource, err, { region: session.region, vpcId: form.vpcId });
      }
    };
    const keyPairs = await load('key_pairs', () => aws.keyPairs(session));
    if (!keyPairs.some((k) => k.name === form.keyName)) {
      throw badRequest(`provider_aws_attributes.key_name: key pair "${form.keyName}" does not exist in region ${session.region}; create it there or choose one of ${keyPairs.map((k) => k.name).join(', ') || '(none: create one)'}`);
    }
    const subnets = await load('subnets', () => aws.subnets(session, form.vpcId));
    const foreign = form.subnetIds.filter((id) => !subnets.some((s) => s.id === id));
    if (foreign.length > 0) throw badRequest(`provider_aws_attributes.subnet_ids: ${foreign.join(', ')} ${foreign.length === 1 ? 'is not a subnet' : 'are not subnets'} of VPC ${form.vpcId}`);
    const zones = new Set(subnets.filter((s) => form.subnetIds.includes(s.id)).map((s) => s.availability_zone));
    if (zones.size < 2) throw badRequest('provider_aws_attributes.subnet_ids: the subnets must be in at least two availability zones (an EKS requirement)');
    const groups = await load('security_groups', () => aws.securityGroups(session, form.vpcId));
    if (!groups.some((g) => g.id === form.securityGroupId)) throw badRequest(`provider_aws_attributes.security_group_id: ${form.securityGroupId} is not a security group of VPC ${form.vpcId}`);
    await this.checkClusterNameFree(session, form.name);
    await this.checkServiceRole(session, form.serviceRoleArn);
  }

  private async checkClusterNameFree(session: AwsSession, name: string): Promise<void> {
    try {
      await this.deps.aws.describeCluster(session, name);
    } catch (err) {
      // Not found is what we want; a refusal leaves the check to CloudFormation.
      if (isAwsCallError(err)) return;
      throw err;
    }
    throw conflict(`name: an EKS cluster named "${name}" already exists in region ${session.region}; choose another name`);
  }

  private async checkServiceRole(session: AwsSession, serviceRoleArn: string): Promise<void> {
    const roleName = serviceRoleArn.split('/').at(-1)!;
    let policies: string[];
    try {
      policies = await this.deps.aws.attachedPolicies(session, roleName);
    } catch (err) {
      if (!isAwsCallError(err)) throw err;
      if (err.code === 'NoSuchEntity') throw badRequest(`provider_aws_attributes.role_arn: the service role ${serviceRoleArn} (role A) does not exist; create it as the EKS cluster IAM role guide says`);
      // Role B may lack iam:ListAttachedRolePolicies: EKS itself will judge the role.
      return;
    }
    if (!policies.some((arn) => arn.endsWith(EKS_CLUSTER_POLICY_ARN_SUFFIX))) throw serviceRoleWithoutEksPolicy(serviceRoleArn);
  }
}
