/**
 * Operator settings of the EKS flow, from the environment (docs/configuration.md), parsed
 * once at start so that a bad value stops the server with a message.
 */
import { z } from 'zod';
import { badRequest } from '../../../lib/errors.js';
import { DEFAULT_NODE_AMI_PARAMETER, STACK_POLL_INTERVAL_MS } from './defaults.js';

export interface EksConfig {
  /** One URL for every AWS service (an emulator, a VPC endpoint proxy); undefined: AWS's regional endpoints. */
  awsEndpoint: string | undefined;
  pollIntervalMs: number;
  /** SSM parameter name of the node AMI, `{version}` replaced by the Kubernetes version. */
  nodeAmiParameter: string;
}

const schema = z.object({
  KUBEGATE_AWS_ENDPOINT_URL: z
    .string()
    .refine((v) => /^https?:\/\/[^/]+/.test(v), 'must be an http:// or https:// URL, e.g. http://127.0.0.1:5000')
    .optional(),
  KUBEGATE_EKS_POLL_INTERVAL_SECONDS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds, e.g. 15')
    .transform(Number)
    .refine((v) => v >= 0.05 && v <= 600, 'must be between 0.05 and 600 seconds')
    .optional(),
  KUBEGATE_EKS_NODE_AMI_PARAMETER: z
    .string()
    .refine((v) => v.includes('{version}'), 'must contain {version}, e.g. /aws/service/eks/optimized-ami/{version}/amazon-linux-2/recommended/image_id')
    .optional(),
});

export function eksConfig(env: NodeJS.ProcessEnv): EksConfig {
  const present = Object.fromEntries(Object.keys(schema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badRequest(`${String(issue.path[0])} ${issue.message}`);
  }
  const v = parsed.data;
  return {
    awsEndpoint: v.KUBEGATE_AWS_ENDPOINT_URL,
    pollIntervalMs: v.KUBEGATE_EKS_POLL_INTERVAL_SECONDS !== undefined ? Math.round(v.KUBEGATE_EKS_POLL_INTERVAL_SECONDS * 1000) : STACK_POLL_INTERVAL_MS,
    nodeAmiParameter: v.KUBEGATE_EKS_NODE_AMI_PARAMETER ?? DEFAULT_NODE_AMI_PARAMETER,
  };
}
