/**
 * The EKS creation form of document 003 ("クラスターの設定"): its fields and rules, checked
 * once here. The Kubernetes versions and instance types come from the shipped template.
 * Field names follow GitLab's `provider_aws_attributes`; `role_arn` there is the service
 * role (role A), while the role Kubegate assumes (role B) was given when authenticating.
 */
import { z } from 'zod';
import { badRequest } from '../../../lib/errors.js';
import { booleanLike, intLike } from '../../../lib/validate.js';
import { environmentScope } from '../input.js';
import type { EksTemplate } from './template.js';

/** An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<path/name>`. */
export const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
export const ROLE_ARN_EXAMPLE = 'arn:aws:iam::123456789012:role/gitlab-eks-provision';
/** An AWS region name such as eu-west-1 or us-gov-west-1. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** EKS's rule for cluster names. */
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
export const MIN_SUBNETS = 2;
export const MAX_NODES = 100;

/**
 * Document 003's first troubleshooting case, word for word, with the valid example it gives.
 * Checked before any AWS call: a typo should not cost a round trip.
 */
export function checkRoleArn(value: unknown, field: string): string {
  if (typeof value === 'string' && ROLE_ARN.test(value.trim())) return value.trim();
  const given = value === undefined ? 'none was given' : `"${String(value)}" is not one`;
  throw badRequest(`Validation failed: Role ARN must be a valid Amazon Resource Name (${field}: ${given}); check the ARN you copied, e.g. ${ROLE_ARN_EXAMPLE}`);
}

/** `POST …/eks_requests/:id/authorize`: the role B ARN and the cluster region. */
export const authorizeInput = z
  .object({
    role_arn: z.unknown().optional(),
    region: z.string().trim().regex(REGION, 'must be an AWS region name, e.g. eu-west-1'),
  })
  .strict();

export function clusterForm(template: EksTemplate) {
  const oneOf = (values: string[]) =>
    z.string().refine((v) => values.includes(v), `must be one of ${values.join(', ')} (the values of cloudformation/eks_cluster.yaml)`);
  const providerAws = z
    .object({
      role_arn: z.unknown().optional(),
      kubernetes_version: oneOf(template.kubernetesVersions).optional(),
      key_name: z.string().trim().min(1, "can't be blank: choose a key pair of the cluster's region").max(255, 'is too long (maximum is 255 characters)'),
      vpc_id: z.string().regex(/^vpc-[0-9a-f]+$/, 'must be a VPC ID, e.g. vpc-0a1b2c3d'),
      subnet_ids: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet ID, e.g. subnet-0a1b2c3d'))
        .min(MIN_SUBNETS, 'must list at least two subnets: EKS needs subnets in two availability zones')
        .refine((ids) => new Set(ids).size === ids.length, 'must not list a subnet twice'),
      security_group_id: z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group ID, e.g. sg-0a1b2c3d'),
      instance_type: oneOf(template.instanceTypes).optional(),
      num_nodes: intLike.pipe(z.number().min(1, 'must be at least 1').max(MAX_NODES, `must be at most ${MAX_NODES}`)).optional(),
    })
    .strict();
  return z
    .object({
      name: z
        .string()
        .trim()
        .min(1, "can't be blank")
        .max(100, 'is too long (maximum is 100 characters, the EKS limit)')
        .regex(EKS_CLUSTER_NAME, "can contain only letters, digits, '-' and '_', and must start with a letter or digit (EKS's rule)"),
      environment_scope: environmentScope.optional(),
      managed: booleanLike.optional(),
      provider_aws_attributes: providerAws,
    })
    .strict();
}

export type ClusterFormInput = z.infer<ReturnType<typeof clusterForm>>;

/** The form after defaults, with role A checked. */
export interface ClusterForm {
  name: string;
  environmentScope: string;
  managed: boolean;
  serviceRoleArn: string;
  kubernetesVersion: string;
  keyName: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupId: string;
  instanceType: string;
  numNodes: number;
}

/** GitLab's defaults: 3 nodes; the template's version and instance type. */
export const DEFAULT_NODE_COUNT = 3;

export function completeForm(input: ClusterFormInput, template: EksTemplate): ClusterForm {
  const p = input.provider_aws_attributes;
  return {
    name: input.name,
    environmentScope: input.environment_scope ?? '*',
    managed: input.managed ?? true,
    serviceRoleArn: checkRoleArn(p.role_arn, 'provider_aws_attributes.role_arn, the service role (role A)'),
    kubernetesVersion: p.kubernetes_version ?? template.defaultKubernetesVersion,
    keyName: p.key_name,
    vpcId: p.vpc_id,
    subnetIds: p.subnet_ids,
    securityGroupId: p.security_group_id,
    instanceType: p.instance_type ?? template.defaultInstanceType,
    numNodes: p.num_nodes ?? DEFAULT_NODE_COUNT,
  };
}
