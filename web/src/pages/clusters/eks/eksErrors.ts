/**
 * Which field of the EKS pages an API error is about, so that it is shown beside that
 * field. Most messages start with the field's name (`provider_aws_attributes.subnet_ids
 * must list at least two subnets…`); document 003's troubleshooting messages keep the
 * document's words instead (`Validation failed: Role ARN must be…`, `Could not load
 * Security Groups for this VPC…`), so they are recognised by those words here. The
 * server's messages are in src/modules/clusters/eks/{form,messages,requests}.ts;
 * eksErrors.test.ts holds this table to them.
 */
import { ApiError } from '../../../api/client';
import { fieldOf, type FieldError } from '../../../api/fields';

const AWS = 'provider_aws_attributes';

/** The fields of "Authenticate with AWS". */
export type AuthorizeField = 'role_arn' | 'region';
/** The fields of the cluster form, by the names of GitLab's API (provider_aws_attributes without its prefix). */
export type ClusterField =
  | 'name'
  | 'environment_scope'
  | 'managed'
  | 'role_arn'
  | 'kubernetes_version'
  | 'key_name'
  | 'vpc_id'
  | 'subnet_ids'
  | 'security_group_id'
  | 'instance_type'
  | 'num_nodes';

const PROVIDER_FIELDS: ClusterField[] = ['role_arn', 'kubernetes_version', 'key_name', 'vpc_id', 'subnet_ids', 'security_group_id', 'instance_type', 'num_nodes'];

/** Messages in document 003's words, each about one field of the cluster form. */
const CLUSTER_MESSAGES: Array<[RegExp, ClusterField]> = [
  [/^Validation failed: Role ARN must be a valid Amazon Resource Name \(provider_aws_attributes\.role_arn/, 'role_arn'],
  [/^The provided role doesn't have the Amazon EKS Managed Policies/, 'role_arn'],
  [/^Key pairs are not loaded/, 'key_name'],
  [/^Could not load Security Groups/, 'security_group_id'],
  [/^Could not load subnets/, 'subnet_ids'],
  [/^Could not load vpcs/, 'vpc_id'],
  [/^Could not load roles/, 'role_arn'],
  [/^Could not load key pairs/, 'key_name'],
];

/** Messages of "Authenticate with AWS" in document 003's words. */
const AUTHORIZE_MESSAGES: Array<[RegExp, AuthorizeField]> = [
  [/^Validation failed: Role ARN must be a valid Amazon Resource Name/, 'role_arn'],
  // AssumeRole refused: about the role, its trust relationship and the external ID.
  [/^Access denied: /, 'role_arn'],
  [/^Could not load regions/, 'region'],
];

/** `<list> could not be loaded: AWS answered …` (AWS unreachable, 503): the field the list fills. */
const LIST_FIELDS: Record<string, ClusterField | AuthorizeField> = {
  key_pairs: 'key_name',
  vpcs: 'vpc_id',
  subnets: 'subnet_ids',
  security_groups: 'security_group_id',
  roles: 'role_arn',
  regions: 'region',
};

function listFieldOf(message: string): ClusterField | AuthorizeField | null {
  const list = /^(\w+) could not be loaded: /.exec(message)?.[1];
  return list ? (LIST_FIELDS[list] ?? null) : null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function clusterFieldOf(message: string): ClusterField | null {
  for (const [pattern, field] of CLUSTER_MESSAGES) if (pattern.test(message)) return field;
  const list = listFieldOf(message);
  if (list && list !== 'region') return list;
  // `provider_aws_attributes.subnet_ids.1 must be a subnet ID`: the list's field.
  const item = new RegExp(`^${AWS}\\.(\\w+)\\.\\d+ `).exec(message)?.[1];
  if (item && (PROVIDER_FIELDS as string[]).includes(item)) return item as ClusterField;
  const field = fieldOf(message, ['name', 'environment_scope', 'managed', AWS, ...PROVIDER_FIELDS.map((f) => `${AWS}.${f}`)]);
  if (field === null || field === AWS) return null;
  return field.replace(`${AWS}.`, '') as ClusterField;
}

export function clusterFormError(err: unknown): FieldError {
  const message = messageOf(err);
  let field: string | null = clusterFieldOf(message);
  // A conflict without a field's name: the scope is taken (one cluster per environment scope).
  if (field === null && err instanceof ApiError && err.status === 409 && /^Environment scope/.test(message)) field = 'environment_scope';
  return { field, message };
}

export function authorizeFieldOf(message: string): AuthorizeField | null {
  for (const [pattern, field] of AUTHORIZE_MESSAGES) if (pattern.test(message)) return field;
  if (listFieldOf(message) === 'region') return 'region';
  return fieldOf(message, ['role_arn', 'region']) as AuthorizeField | null;
}

export function authorizeFormError(err: unknown): FieldError {
  const message = messageOf(err);
  return { field: authorizeFieldOf(message), message };
}
