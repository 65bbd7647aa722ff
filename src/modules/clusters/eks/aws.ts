/**
 * The `AwsApi` seam: every AWS call of the EKS flow, in Kubegate's terms. `aws_sdk.ts`
 * implements it with the AWS SDK for JavaScript v3; tests of cases an emulator cannot
 * produce (a stack in ROLLBACK_FAILED, EKS refusing role A) script it instead.
 *
 * Errors are thrown as `AwsCallError`, keeping AWS's error code and message, so that the
 * callers can turn them into document 003's messages.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Where and as whom a call runs: role B's temporary credentials in the chosen region. */
export interface AwsSession {
  region: string;
  credentials: AwsCredentials;
}

export interface AssumedRole {
  credentials: AwsCredentials;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
  arn: string;
  expiration: Date | undefined;
}

export interface KeyPair {
  name: string;
  id: string;
}
export interface Vpc {
  id: string;
  name: string;
  cidr_block: string;
  default: boolean;
}
export interface Subnet {
  id: string;
  name: string;
  vpc_id: string;
  availability_zone: string;
  cidr_block: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  vpc_id: string;
  description: string;
}
export interface IamRole {
  name: string;
  arn: string;
}

export type StackParameters = Record<string, string>;

export interface Stack {
  id: string;
  name: string;
  status: string;
  statusReason: string | undefined;
  outputs: Record<string, string>;
}

export interface StackEvent {
  timestamp: string;
  logical_resource_id: string;
  resource_type: string;
  resource_status: string;
  resource_status_reason: string | null;
  physical_resource_id: string | null;
}

export interface EksCluster {
  name: string;
  status: string;
  endpoint: string;
  /** PEM, decoded from EKS's base64 `certificateAuthority.data`. */
  caCert: string;
}

export interface AwsApi {
  /** sts:AssumeRole with the instance credentials (undefined: the SDK's default chain). */
  assumeRole(input: { region: string; roleArn: string; externalId: string; sessionName: string; credentials: AwsCredentials | undefined }): Promise<AssumedRole>;
  regions(session: AwsSession): Promise<string[]>;
  keyPairs(session: AwsSession): Promise<KeyPair[]>;
  vpcs(session: AwsSession): Promise<Vpc[]>;
  subnets(session: AwsSession, vpcId: string): Promise<Subnet[]>;
  securityGroups(session: AwsSession, vpcId: string): Promise<SecurityGroup[]>;
  roles(session: AwsSession): Promise<IamRole[]>;
  /** ARNs of the managed policies attached to a role (iam:ListAttachedRolePolicies). */
  attachedPolicies(session: AwsSession, roleName: string): Promise<string[]>;
  /** cloudformation:CreateStack; the token makes a repeated call (after a crash) return the same stack. */
  createStack(session: AwsSession, input: { name: string; template: string; parameters: StackParameters; clientRequestToken: string }): Promise<string>;
  describeStack(session: AwsSession, stack: string): Promise<Stack>;
  /** Newest first, as CloudFormation lists them. */
  stackEvents(session: AwsSession, stack: string): Promise<StackEvent[]>;
  describeCluster(session: AwsSession, name: string): Promise<EksCluster>;
  /** A bearer token for the cluster's Kubernetes API, as `aws eks get-token` makes it. */
  eksToken(session: AwsSession, clusterName: string): Promise<string>;
}

/** An AWS error, with AWS's own code (`AccessDenied`, `ValidationError`…) and message. */
export class AwsCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsCallError';
  }

  /** Refusals of the caller's rights, whatever the service calls them. */
  get accessDenied(): boolean {
    return /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess|AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken)$/.test(this.code);
  }
}

export function isAwsCallError(err: unknown): err is AwsCallError {
  return err instanceof AwsCallError;
}
