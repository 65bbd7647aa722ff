/**
 * Defaults of the EKS flow, each with its reason. Settings that operators may change
 * are read in config.ts.
 */

/** How often a creating cluster's stack is polled. EKS takes ~10 minutes; CloudFormation throttles eager pollers. */
export const STACK_POLL_INTERVAL_MS = 15_000;
/** A stack still creating after this is given up on (GitLab waits 45 minutes too). */
export const STACK_CREATE_TIMEOUT_MS = 45 * 60_000;
/** A finished stack whose cluster cannot be set up (API unreachable…) is retried this many polls before it errs. */
export const FINALIZE_ATTEMPTS = 5;
/** The stack events an answer carries; a failed EKS stack has a few dozen. */
export const MAX_STACK_EVENTS = 100;

/** `aws eks get-token`'s prefix and lifetime: EKS refuses presigned URLs valid for longer than 15 minutes. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const EKS_TOKEN_TTL_SECONDS = 60;

/** The session name role B's CloudTrail entries carry. */
export const ROLE_SESSION_NAME = 'kubegate-eks';

/** The SSM parameter of the node AMI; `{version}` is the Kubernetes version. EKS-optimized Amazon Linux 2. */
export const DEFAULT_NODE_AMI_PARAMETER = '/aws/service/eks/optimized-ami/{version}/amazon-linux-2/recommended/image_id';

/** The managed policy EKS requires on role A (document 003's troubleshooting). */
export const EKS_CLUSTER_POLICY_ARN_SUFFIX = ':policy/AmazonEKSClusterPolicy';

/** Bytes of randomness in an external ID (GitLab's `SecureRandom.hex(20)`). */
export const EXTERNAL_ID_BYTES = 20;

/** Kubernetes requests of the finalizer and of managed namespaces. */
export const KUBE_REQUEST_TIMEOUT_MS = 15_000;
/** How long a new service account token Secret may take to be filled in by the token controller. */
export const SERVICE_ACCOUNT_TOKEN_WAIT_MS = 15_000;
