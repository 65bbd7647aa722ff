/**
 * Document 003's troubleshooting cases as Kubegate's messages: each says what AWS
 * answered and what to check, in the document's words where it has them.
 */
import { KubegateError } from '../../../lib/errors.js';
import type { AwsCallError, StackEvent } from './aws.js';

/** EKS's words when role A lacks the managed policy (document 003). */
export const EKS_MANAGED_POLICY_MESSAGE = "The provided role doesn't have the Amazon EKS Managed Policies associated with it.";

/**
 * `Access denied: User arn:… is not authorized to perform: sts:AssumeRole on resource: arn:…`,
 * then the document's three checks. AWS's message is reworded into the document's form
 * (some emulators leave out the resource, which is always the role).
 */
/** AWS refused role B to Kubegate's credentials: unlike a missing setting, waiting will not help. */
export class RoleDeniedError extends KubegateError {}

export function assumeRoleDenied(err: AwsCallError, ctx: { roleArn: string; region: string; accountId: string; externalId: string }): RoleDeniedError {
  const principal = /User:?\s+(\S+?)\s+is not authorized/.exec(err.message)?.[1] ?? 'the credentials of the Amazon EKS settings';
  return new RoleDeniedError(
    'unprocessable',
    `Access denied: User ${principal} is not authorized to perform: sts:AssumeRole on resource: ${ctx.roleArn}. ` +
      `Check that 1) the AWS credentials of the Amazon EKS settings have a policy allowing sts:AssumeRole on this role; ` +
      `2) the role may create clusters in region ${ctx.region}; ` +
      `3) the role's trust relationship names account ID ${ctx.accountId} and external ID ${ctx.externalId}.`,
    { cause: err },
  );
}

export function missingCredentials(err: AwsCallError): KubegateError {
  return new KubegateError(
    'unavailable',
    `Kubegate has no AWS credentials to assume the role with (${err.message}): set eks_access_key_id and eks_secret_access_key with PUT /api/v4/application/settings, or give the server an instance profile`,
    { cause: err },
  );
}

/** A form list that could not be loaded with the assumed role. */
export function optionsNotLoaded(resource: string, err: AwsCallError, ctx: { region: string; vpcId?: string | undefined }): KubegateError {
  const because = `AWS answered ${err.code}: ${err.message}`;
  if (resource === 'security_groups') {
    return new KubegateError(
      'unprocessable',
      `Could not load Security Groups for this VPC (${ctx.vpcId}): ${because}. Kubegate assumed the role, but the role lacks the permissions the form needs: give it document 003's policy (ec2:DescribeSecurityGroups)`,
      { cause: err },
    );
  }
  if (resource === 'key_pairs') {
    return new KubegateError(
      'unprocessable',
      `Key pairs are not loaded for region ${ctx.region}: ${because}. Kubegate loads key pairs from the cluster region: make sure a key pair exists in ${ctx.region} and the role may call ec2:DescribeKeyPairs`,
      { cause: err },
    );
  }
  return new KubegateError(
    'unprocessable',
    `Could not load ${resource.replace('_', ' ')} in region ${ctx.region}${ctx.vpcId ? ` for VPC ${ctx.vpcId}` : ''}: ${because}. Give the role document 003's policy`,
    { cause: err },
  );
}

export function awsUnavailable(what: string, err: AwsCallError): KubegateError {
  return new KubegateError('unavailable', `${what}: AWS answered ${err.code}: ${err.message}; try again, and check the server can reach AWS`, { cause: err });
}

/** The first resource that failed, oldest first: the cause; later failures are its consequences. */
export function firstFailure(events: readonly StackEvent[]): StackEvent | undefined {
  return [...events].reverse().find((e) => /_FAILED$/.test(e.resource_status) && e.resource_type !== 'AWS::CloudFormation::Stack' && e.resource_status_reason !== 'Resource creation cancelled');
}

/**
 * Why a stack did not reach CREATE_COMPLETE (ROLLBACK_FAILED and the like): the stack, its
 * status, the resource that failed and why, and what to delete, since Kubegate rolls
 * nothing back (document 003).
 */
export function stackFailureReason(ctx: { stackName: string; stackId: string | null; region: string; status: string; statusReason?: string | undefined; serviceRoleArn: string }, events: readonly StackEvent[]): string {
  const failed = firstFailure(events);
  const parts = [`Creating the cluster stopped: CloudFormation stack ${ctx.stackName} is ${ctx.status}`];
  if (failed) parts.push(`resource ${failed.logical_resource_id} (${failed.resource_type}) failed: ${failed.resource_status_reason ?? 'no reason given'}`);
  else if (ctx.statusReason) parts.push(ctx.statusReason);
  if (failed?.resource_status_reason?.includes("doesn't have the Amazon EKS Managed Policies")) {
    parts.push(`the service role ${ctx.serviceRoleArn} (role A) is not set up correctly: attach the AmazonEKSClusterPolicy managed policy to it, as the EKS cluster IAM role guide says`);
  }
  parts.push(
    `Kubegate rolls nothing back: look up the failed resource in the stack (CloudFormation console, region ${ctx.region}${ctx.stackId ? `, stack ${ctx.stackId}` : ''}), delete the stack to remove what was created, then delete this cluster and create it again`,
  );
  return `${parts.join('; ')}.`;
}

/** Role A lacks AmazonEKSClusterPolicy: caught before the stack, which would fail ten minutes later. */
export function serviceRoleWithoutEksPolicy(serviceRoleArn: string): KubegateError {
  return new KubegateError(
    'unprocessable',
    `${EKS_MANAGED_POLICY_MESSAGE} The service role ${serviceRoleArn} (role A) needs the AmazonEKSClusterPolicy managed policy besides the policies the EKS cluster IAM role guide suggests: attach it and submit again`,
  );
}
