/**
 * `AwsApi` over the AWS SDK for JavaScript v3. One client per call, destroyed after it:
 * calls are rare (a form, a poll every few seconds) and each may run as another role or
 * region. `endpoint` (KUBEGATE_AWS_ENDPOINT_URL) sends every service to one URL, e.g. an
 * AWS emulator; by default each service's regional endpoint is used.
 */
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { EC2Client, DescribeRegionsCommand, DescribeKeyPairsCommand, paginateDescribeVpcs, paginateDescribeSubnets, paginateDescribeSecurityGroups, type Tag } from '@aws-sdk/client-ec2';
import { IAMClient, paginateListRoles, paginateListAttachedRolePolicies } from '@aws-sdk/client-iam';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand, paginateDescribeStackEvents, AlreadyExistsException } from '@aws-sdk/client-cloudformation';
import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { AwsCallError, type AwsApi, type AwsCredentials, type AwsSession, type StackEvent } from './aws.js';
import { EKS_TOKEN_PREFIX, EKS_TOKEN_TTL_SECONDS, MAX_STACK_EVENTS } from './defaults.js';

type ClientConfig = { region: string; credentials?: AwsCredentials; endpoint?: string; maxAttempts: number; requestHandler: { connectionTimeout: number; requestTimeout: number } };

/** The SDK's own retries cover throttling and 5xx; a form should not hang on more. */
const SDK_MAX_ATTEMPTS = 3;
/** The SDK waits forever by default; a form, a poll and shutdown must not. */
const SDK_CONNECTION_TIMEOUT_MS = 5_000;
const SDK_REQUEST_TIMEOUT_MS = 30_000;

export function createSdkAwsApi(options: { endpoint?: string | undefined } = {}): AwsApi {
  const endpoint = options.endpoint;

  function config(region: string, credentials: AwsCredentials | undefined): ClientConfig {
    return {
      region,
      ...(credentials ? { credentials } : {}),
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: SDK_MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS },
    };
  }

  async function call<C extends { destroy(): void }, T>(client: C, fn: (client: C) => Promise<T>): Promise<T> {
    try {
      return await fn(client);
    } catch (err) {
      throw toAwsCallError(err);
    } finally {
      client.destroy();
    }
  }

  const ec2 = (s: AwsSession) => new EC2Client(config(s.region, s.credentials));
  const iam = (s: AwsSession) => new IAMClient(config(s.region, s.credentials));
  const cfn = (s: AwsSession) => new CloudFormationClient(config(s.region, s.credentials));

  return {
    assumeRole(input) {
      return call(new STSClient(config(input.region, input.credentials)), async function assumeRole(sts) {
        const out = await sts.send(new AssumeRoleCommand({ RoleArn: input.roleArn, ExternalId: input.externalId, RoleSessionName: input.sessionName }));
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AwsCallError('InvalidResponse', 'sts:AssumeRole answered without credentials', undefined);
        return { credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, arn: out.AssumedRoleUser?.Arn ?? '', expiration: c.Expiration };
      });
    },
    regions(s) {
      return call(ec2(s), async function describeRegions(client) {
        const out = await client.send(new DescribeRegionsCommand({}));
        return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean).sort();
      });
    },
    keyPairs(s) {
      return call(ec2(s), async function describeKeyPairs(client) {
        const out = await client.send(new DescribeKeyPairsCommand({}));
        return (out.KeyPairs ?? []).map((k) => ({ name: k.KeyName ?? '', id: k.KeyPairId ?? '' })).sort(byName);
      });
    },
    vpcs(s) {
      return call(ec2(s), async function describeVpcs(client) {
        const all = [];
        for await (const page of paginateDescribeVpcs({ client }, {})) {
          for (const v of page.Vpcs ?? []) all.push({ id: v.VpcId ?? '', name: nameTag(v.Tags) ?? v.VpcId ?? '', cidr_block: v.CidrBlock ?? '', default: v.IsDefault === true });
        }
        return all;
      });
    },
    subnets(s, vpcId) {
      return call(ec2(s), async function describeSubnets(client) {
        const all = [];
        for await (const page of paginateDescribeSubnets({ client }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })) {
          for (const n of page.Subnets ?? []) {
            all.push({ id: n.SubnetId ?? '', name: nameTag(n.Tags) ?? n.SubnetId ?? '', vpc_id: n.VpcId ?? vpcId, availability_zone: n.AvailabilityZone ?? '', cidr_block: n.CidrBlock ?? '' });
          }
        }
        return all;
      });
    },
    securityGroups(s, vpcId) {
      return call(ec2(s), async function describeSecurityGroups(client) {
        const all = [];
        for await (const page of paginateDescribeSecurityGroups({ client }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })) {
          for (const g of page.SecurityGroups ?? []) all.push({ id: g.GroupId ?? '', name: g.GroupName ?? '', vpc_id: g.VpcId ?? vpcId, description: g.Description ?? '' });
        }
        return all;
      });
    },
    roles(s) {
      return call(iam(s), async function listRoles(client) {
        const all = [];
        for await (const page of paginateListRoles({ client }, {})) {
          for (const r of page.Roles ?? []) all.push({ name: r.RoleName ?? '', arn: r.Arn ?? '' });
        }
        return all.sort(byName);
      });
    },
    attachedPolicies(s, roleName) {
      return call(iam(s), async function listAttachedRolePolicies(client) {
        const all: string[] = [];
        for await (const page of paginateListAttachedRolePolicies({ client }, { RoleName: roleName })) {
          for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) all.push(p.PolicyArn);
        }
        return all;
      });
    },
    createStack(s, input) {
      return call(cfn(s), async function createStack(client) {
        try {
          const out = await client.send(
            new CreateStackCommand({
              StackName: input.name,
              TemplateBody: input.template,
              Parameters: Object.entries(input.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
              Capabilities: ['CAPABILITY_IAM'],
              ClientRequestToken: input.clientRequestToken,
              // Document 003: Kubegate rolls nothing back; the user deletes the stack.
              OnFailure: 'DO_NOTHING',
            }),
          );
          return out.StackId ?? input.name;
        } catch (err) {
          // The stack exists: a call that went through before a restart. Carry on with it.
          if (err instanceof AlreadyExistsException) {
            const out = await client.send(new DescribeStacksCommand({ StackName: input.name }));
            return out.Stacks?.[0]?.StackId ?? input.name;
          }
          throw err;
        }
      });
    },
    describeStack(s, stack) {
      return call(cfn(s), async function describeStack(client) {
        const out = await client.send(new DescribeStacksCommand({ StackName: stack }));
        const st = out.Stacks?.[0];
        if (!st) throw new AwsCallError('ValidationError', `Stack with id ${stack} does not exist`, 400);
        const outputs: Record<string, string> = {};
        for (const o of st.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
        return { id: st.StackId ?? stack, name: st.StackName ?? stack, status: st.StackStatus ?? 'UNKNOWN', statusReason: st.StackStatusReason, outputs };
      });
    },
    stackEvents(s, stack) {
      return call(cfn(s), async function describeStackEvents(client) {
        const all: StackEvent[] = [];
        for await (const page of paginateDescribeStackEvents({ client }, { StackName: stack })) {
          for (const e of page.StackEvents ?? []) {
            all.push({
              timestamp: (e.Timestamp ?? new Date(0)).toISOString(),
              logical_resource_id: e.LogicalResourceId ?? '',
              resource_type: e.ResourceType ?? '',
              resource_status: e.ResourceStatus ?? '',
              resource_status_reason: e.ResourceStatusReason ?? null,
              physical_resource_id: e.PhysicalResourceId ?? null,
            });
          }
          if (all.length >= MAX_STACK_EVENTS) break;
        }
        return all.slice(0, MAX_STACK_EVENTS);
      });
    },
    describeCluster(s, name) {
      return call(new EKSClient(config(s.region, s.credentials)), async function describeCluster(client) {
        const out = await client.send(new DescribeClusterCommand({ name }));
        const c = out.cluster;
        return {
          name: c?.name ?? name,
          status: c?.status ?? 'UNKNOWN',
          endpoint: c?.endpoint ?? '',
          caCert: c?.certificateAuthority?.data ? Buffer.from(c.certificateAuthority.data, 'base64').toString('utf8') : '',
        };
      });
    },
    async eksToken(s, clusterName) {
      return eksToken(s, clusterName, endpoint);
    },
  };
}

/**
 * The token `aws eks get-token` prints: a presigned sts:GetCallerIdentity URL that names
 * the cluster in a signed `x-k8s-aws-id` header, base64url-encoded after a fixed prefix.
 * EKS's authenticator replays it against STS to learn who is calling.
 */
export async function eksToken(s: AwsSession, clusterName: string, endpoint?: string): Promise<string> {
  const url = new URL(endpoint ?? `https://sts.${s.region}.amazonaws.com/`);
  const signer = new SignatureV4({ service: 'sts', region: s.region, credentials: s.credentials, sha256: Sha256 });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: EKS_TOKEN_TTL_SECONDS },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  const presigned = `${url.protocol}//${url.host}${signed.path}?${query}`;
  return `${EKS_TOKEN_PREFIX}${Buffer.from(presigned).toString('base64url')}`;
}

function nameTag(tags: Tag[] | undefined): string | undefined {
  return tags?.find((t) => t.Key === 'Name')?.Value;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name);
}

/** Keeps AWS's code and message; anything else (no credentials, network) gets a code of its own. */
export function toAwsCallError(err: unknown): AwsCallError {
  if (err instanceof AwsCallError) return err;
  const e = err as { name?: string; message?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'CredentialsProviderError') {
    return new AwsCallError('MissingCredentials', `no AWS credentials: ${e.message}`, undefined, { cause: err });
  }
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return new AwsCallError(e.Code ?? e.name ?? 'Unknown', e.message ?? 'AWS refused the call', status, { cause: err });
  return new AwsCallError('NetworkError', `AWS could not be reached: ${e?.message ?? String(err)}`, undefined, { cause: err });
}
