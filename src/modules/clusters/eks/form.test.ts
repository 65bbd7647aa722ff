/**
 * The EKS form's rules (document 003's table) and the token EKS is logged into with, as
 * pure functions: role ARNs, two subnets or more, the template's choices and defaults,
 * and `aws eks get-token`'s format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../../lib/validate.js';
import { isKubegateError } from '../../../lib/errors.js';
import { checkRoleArn, clusterForm, completeForm, DEFAULT_NODE_COUNT } from './form.js';
import { loadTemplate } from './template.js';
import { eksToken } from './aws_sdk.js';
import { firstFailure } from './messages.js';

const template = loadTemplate();
const valid = {
  name: 'prod',
  provider_aws_attributes: {
    role_arn: 'arn:aws:iam::123456789012:role/eks-cluster-role',
    key_name: 'nodes',
    vpc_id: 'vpc-0a1b2c3d',
    subnet_ids: ['subnet-0a', 'subnet-0b'],
    security_group_id: 'sg-0a1b',
  },
};

test('role ARNs: IAM roles of a 12-digit account (with paths and partitions); anything else gets document 003\'s message', () => {
  for (const ok of ['arn:aws:iam::123456789012:role/gitlab-eks-provision', 'arn:aws:iam::123456789012:role/teams/ops/gitlab+eks=1,2.@x', 'arn:aws-cn:iam::123456789012:role/r', ' arn:aws:iam::123456789012:role/padded ']) {
    assert.equal(checkRoleArn(ok, 'role_arn'), ok.trim());
  }
  for (const bad of ['gitlab-eks-provision', 'arn:aws:iam::12345678901:role/x', 'arn:aws:iam::123456789012:user/x', 'arn:aws:sts::123456789012:assumed-role/x/y', '', 42, undefined]) {
    assert.throws(
      () => checkRoleArn(bad, 'role_arn'),
      (err) => isKubegateError(err) && err.status === 400 && err.message.startsWith('Validation failed: Role ARN must be a valid Amazon Resource Name') && err.message.includes('arn:aws:iam::123456789012:role/gitlab-eks-provision'),
      String(bad),
    );
  }
});

test("the form: defaults from the template and GitLab, and each field's rule", () => {
  const schema = clusterForm(template);
  const form = completeForm(parse(schema, valid), template);
  assert.equal(form.environmentScope, '*');
  assert.equal(form.managed, true);
  assert.equal(form.kubernetesVersion, template.defaultKubernetesVersion);
  assert.equal(form.instanceType, template.defaultInstanceType);
  assert.equal(form.numNodes, DEFAULT_NODE_COUNT);
  assert.ok(template.kubernetesVersions.includes(template.defaultKubernetesVersion));
  assert.ok(template.instanceTypes.includes(template.defaultInstanceType));

  const broken = (attrs: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ ...valid, ...top, provider_aws_attributes: { ...valid.provider_aws_attributes, ...attrs } });
  const cases: Array<[unknown, RegExp]> = [
    [broken({ subnet_ids: ['subnet-0a'] }), /subnet_ids must list at least two subnets: EKS needs subnets in two availability zones/],
    [broken({ subnet_ids: 'subnet-0a,subnet-0b' }), /subnet_ids must be an array, not a string/],
    [broken({ subnet_ids: ['subnet-0a', 'x'] }), /subnet_ids\.1 must be a subnet ID/],
    [broken({ subnet_ids: undefined }), /provider_aws_attributes.subnet_ids is missing/],
    [broken({ vpc_id: 'my-vpc' }), /vpc_id must be a VPC ID/],
    [broken({ security_group_id: 'default' }), /security_group_id must be a security group ID/],
    [broken({ key_name: ' ' }), /key_name can't be blank/],
    [broken({ num_nodes: 1.5 }), /num_nodes must be an integer/],
    [broken({ num_nodes: 101 }), /num_nodes must be at most 100/],
    [broken({ kubernetes_version: '1.20' }), /kubernetes_version must be one of/],
    [broken({ disk: 20 }), /disk: unknown field/],
    [broken({}, { name: '-prod' }), /name can contain only letters, digits, '-' and '_'/],
    [broken({}, { name: 'x'.repeat(101) }), /name is too long \(maximum is 100 characters, the EKS limit\)/],
    [broken({}, { environment_scope: 'prod!' }), /environment_scope can contain only/],
  ];
  for (const [body, message] of cases) assert.throws(() => parse(schema, body), message, JSON.stringify(body));
});

test('the EKS login token is a presigned sts:GetCallerIdentity URL signing the cluster name, valid for 60 s', async () => {
  const token = await eksToken({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' } }, 'prod');
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/, 'base64url without padding');
  const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
  assert.equal(url.origin, 'https://sts.eu-west-1.amazonaws.com');
  assert.equal(url.searchParams.get('Action'), 'GetCallerIdentity');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
  assert.equal(url.searchParams.get('X-Amz-Security-Token'), 'session');
  assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders')?.split(';'), ['host', 'x-k8s-aws-id']);
  assert.match(url.searchParams.get('X-Amz-Credential')!, /^ASIAEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/);
  const overridden = await eksToken({ region: 'eu-west-1', credentials: { accessKeyId: 'A', secretAccessKey: 'S' } }, 'prod', 'http://127.0.0.1:4566');
  assert.equal(new URL(Buffer.from(overridden.slice(11), 'base64url').toString()).origin, 'http://127.0.0.1:4566');
});

test('the failure a stack reports is the oldest failed resource, not the cancellations and rollback failures after it', () => {
  const e = (logical: string, type: string, status: string, reason: string) => ({ timestamp: '', logical_resource_id: logical, resource_type: type, resource_status: status, resource_status_reason: reason, physical_resource_id: null });
  const events = [
    e('stack', 'AWS::CloudFormation::Stack', 'ROLLBACK_FAILED', 'x'),
    e('NodeSecurityGroup', 'AWS::EC2::SecurityGroup', 'DELETE_FAILED', 'dependent object'),
    e('NodeInstanceRole', 'AWS::IAM::Role', 'CREATE_FAILED', 'Resource creation cancelled'),
    e('Cluster', 'AWS::EKS::Cluster', 'CREATE_FAILED', 'the real cause'),
  ];
  assert.equal(firstFailure(events)?.logical_resource_id, 'Cluster');
  assert.equal(firstFailure([]), undefined);
});
