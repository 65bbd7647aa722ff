/**
 * The EKS pages put each API error beside its field: this holds the table of
 * eksErrors.ts to the messages the server really writes (its code is imported here, in a
 * test, never by the UI itself).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from '../../../../../src/lib/validate.js';
import { checkRoleArn, clusterForm, authorizeInput } from '../../../../../src/modules/clusters/eks/form.js';
import { AwsCallError } from '../../../../../src/modules/clusters/eks/aws.js';
import { assumeRoleDenied, awsUnavailable, optionsNotLoaded, serviceRoleWithoutEksPolicy } from '../../../../../src/modules/clusters/eks/messages.js';
import { loadTemplate } from '../../../../../src/modules/clusters/eks/template.js';
import { ApiError } from '../../../api/client';
import { authorizeFieldOf, clusterFieldOf, clusterFormError } from './eksErrors';

// A URL of Node's own (jsdom replaces the global URL, which node:fs does not take).
const template = loadTemplate(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../../../../cloudformation/eks_cluster.yaml')));
const denied = new AwsCallError('AccessDenied', 'User: arn:aws:sts::1:assumed-role/b/kubegate-eks is not authorized to perform: ec2:DescribeSecurityGroups', 403);
const VALID = {
  name: 'production',
  environment_scope: '*',
  managed: true,
  provider_aws_attributes: {
    role_arn: 'arn:aws:iam::123456789012:role/eks-cluster-role',
    kubernetes_version: template.defaultKubernetesVersion,
    key_name: 'nodes',
    vpc_id: 'vpc-0a1b2c3d',
    subnet_ids: ['subnet-0a', 'subnet-0b'],
    security_group_id: 'sg-0a1b2c3d',
    instance_type: template.defaultInstanceType,
    num_nodes: 3,
  },
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error was thrown');
}

function formMessage(change: (body: typeof VALID) => unknown): string {
  const body = structuredClone(VALID);
  return messageOf(() => parse(clusterForm(template), change(body) ?? body));
}

describe('the cluster form: every server message lands on its field', () => {
  test("the form's own rules", () => {
    const cases: Array<[(b: typeof VALID) => unknown, string]> = [
      [(b) => void (b.name = 'bad name!'), 'name'],
      [(b) => void (b.name = ''), 'name'],
      [(b) => void (b.environment_scope = 'a|b'), 'environment_scope'],
      [(b) => void (b.provider_aws_attributes.subnet_ids = ['subnet-0a']), 'subnet_ids'],
      [(b) => void (b.provider_aws_attributes.subnet_ids = ['subnet-0a', 'subnet-0a']), 'subnet_ids'],
      [(b) => void (b.provider_aws_attributes.subnet_ids = ['subnet-0a', 'x']), 'subnet_ids'],
      [(b) => void (b.provider_aws_attributes.kubernetes_version = '1.10'), 'kubernetes_version'],
      [(b) => void (b.provider_aws_attributes.instance_type = 'x9.huge'), 'instance_type'],
      [(b) => void (b.provider_aws_attributes.key_name = ''), 'key_name'],
      [(b) => void (b.provider_aws_attributes.vpc_id = ''), 'vpc_id'],
      [(b) => void (b.provider_aws_attributes.security_group_id = ''), 'security_group_id'],
      [(b) => void (b.provider_aws_attributes.num_nodes = 0), 'num_nodes'],
      [(b) => void (b.provider_aws_attributes.num_nodes = 101), 'num_nodes'],
    ];
    for (const [change, field] of cases) {
      const message = formMessage(change);
      expect([message, clusterFieldOf(message)]).toEqual([message, field]);
    }
  });

  test("document 003's troubleshooting messages", () => {
    const cases: Array<[string, string]> = [
      [messageOf(() => checkRoleArn('eks-cluster-role', 'provider_aws_attributes.role_arn, the service role (role A)')), 'role_arn'],
      [serviceRoleWithoutEksPolicy('arn:aws:iam::123456789012:role/eks-role-no-policy').message, 'role_arn'],
      [optionsNotLoaded('key_pairs', denied, { region: 'eu-west-1' }).message, 'key_name'],
      [optionsNotLoaded('security_groups', denied, { region: 'eu-west-1', vpcId: 'vpc-0a' }).message, 'security_group_id'],
      [optionsNotLoaded('subnets', denied, { region: 'eu-west-1', vpcId: 'vpc-0a' }).message, 'subnet_ids'],
      [optionsNotLoaded('vpcs', denied, { region: 'eu-west-1' }).message, 'vpc_id'],
      [optionsNotLoaded('roles', denied, { region: 'eu-west-1' }).message, 'role_arn'],
      [awsUnavailable('security_groups could not be loaded', new AwsCallError('InternalError', 'boom', 500)).message, 'security_group_id'],
      // requests.ts: checks against AWS before anything is created.
      ['provider_aws_attributes.key_name: key pair "nope" does not exist in region eu-west-1; create it there or choose one of nodes', 'key_name'],
      ['provider_aws_attributes.subnet_ids: subnet-0000000a is not a subnet of VPC vpc-0a', 'subnet_ids'],
      ['provider_aws_attributes.security_group_id: sg-00000000 is not a security group of VPC vpc-0a', 'security_group_id'],
      ['name: an EKS cluster named "production" already exists in region eu-west-1; choose another name', 'name'],
    ];
    for (const [message, field] of cases) expect([message, clusterFieldOf(message)]).toEqual([message, field]);
  });

  test('a taken environment scope is about that field; what names no field is about the form', () => {
    const taken = clusterFormError(new ApiError(409, 'Environment scope has already been taken: this project already has a cluster for environment scope "*"; delete it or choose another scope'));
    expect(taken.field).toBe('environment_scope');
    expect(clusterFormError(new ApiError(503, 'Kubegate has no AWS credentials to assume the role with (x): set …')).field).toBeNull();
    expect(clusterFormError(new ApiError(409, 'this creation request already made cluster 4; start a new one')).field).toBeNull();
  });
});

describe('"Authenticate with AWS": every server message lands on its field', () => {
  test('role ARN and region', () => {
    const cases: Array<[string, string | null]> = [
      [messageOf(() => checkRoleArn('gitlab-eks-provision', 'role_arn, the provision role (role B)')), 'role_arn'],
      [messageOf(() => checkRoleArn(undefined, 'role_arn, the provision role (role B)')), 'role_arn'],
      [
        assumeRoleDenied(new AwsCallError('AccessDenied', 'User: arn:aws:iam::123456789012:user/kubegate is not authorized to perform: sts:AssumeRole', 403), {
          roleArn: 'arn:aws:iam::123456789012:role/gitlab-eks-provision',
          region: 'eu-west-1',
          accountId: '123456789012',
          externalId: 'abc',
        }).message,
        'role_arn',
      ],
      [messageOf(() => parse(authorizeInput, { role_arn: 'x', region: 'Europe' })), 'region'],
      [messageOf(() => parse(authorizeInput, { role_arn: 'x' })), 'region'],
      ['region eu-west-3 is not enabled for the account of arn:aws:iam::1:role/b; choose one of eu-west-1', 'region'],
      [optionsNotLoaded('regions', denied, { region: 'eu-west-1' }).message, 'region'],
      ['the Amazon EKS integration is not enabled on this instance: an administrator sets …', null],
    ];
    for (const [message, field] of cases) expect([message, authorizeFieldOf(message)]).toEqual([message, field]);
  });
});
