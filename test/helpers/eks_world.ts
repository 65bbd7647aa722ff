/**
 * An AWS account in moto with what document 003 asks a user to prepare (tests of the EKS
 * flow): an IAM user for Kubegate allowed to assume `gitlab-eks-*` roles, a VPC with two
 * subnets in two availability zones, a security group, a key pair, role A with
 * AmazonEKSClusterPolicy (and one without), and the node AMI parameter.
 *
 * `startAwsFront` puts a small HTTP front before moto, for the two things moto does not do:
 * its CloudFormation skips `AWS::EKS::Cluster` ("No Moto CloudFormation support"), so the
 * front creates the EKS cluster through moto's EKS API when a stack is created, as
 * CloudFormation would; and moto's EKS clusters have a made-up endpoint and CA, so
 * DescribeCluster answers are pointed at the Kubernetes API simulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, CreateRoleCommand, PutRolePolicyCommand, AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, CreateSecurityGroupCommand, CreateKeyPairCommand } from '@aws-sdk/client-ec2';
import { EKSClient, CreateClusterCommand } from '@aws-sdk/client-eks';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { MOTO_ACCOUNT_ID, motoRequest, type Moto } from './moto.js';

export const REGION = 'eu-west-1';
export const AMI_PARAMETER = '/kubegate-test/eks-ami/{version}';
/** Document 003's policy for role B, in AWS's canonical case (moto matches actions case-sensitively, IAM does not). */
export const DOCUMENT_003_ACTIONS = [
  'autoscaling:CreateAutoScalingGroup',
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeScalingActivities',
  'autoscaling:UpdateAutoScalingGroup',
  'autoscaling:CreateLaunchConfiguration',
  'autoscaling:DescribeLaunchConfigurations',
  'cloudformation:CreateStack',
  'cloudformation:DescribeStacks',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:CreateSecurityGroup',
  'ec2:CreateTags',
  'ec2:DescribeImages',
  'ec2:DescribeKeyPairs',
  'ec2:DescribeRegions',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'eks:CreateCluster',
  'eks:DescribeCluster',
  'iam:AddRoleToInstanceProfile',
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:CreateInstanceProfile',
  'iam:CreateServiceLinkedRole',
  'iam:GetRole',
  'iam:ListAttachedRolePolicies',
  'iam:ListRoles',
  'iam:PassRole',
  'ssm:GetParameters',
];
/** What Kubegate needs besides, to show a stack's events (docs/ci-cd.md says so). */
export const STACK_EVENTS_ACTION = 'cloudformation:DescribeStackEvents';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface EksWorld {
  moto: Moto;
  admin: Credentials;
  /** The IAM user whose keys go into the application settings. */
  kubegateUser: Credentials & { arn: string };
  vpcId: string;
  subnetIds: [string, string];
  securityGroupId: string;
  keyName: string;
  roleA: string;
  roleAWithoutEksPolicy: string;
  client<T>(Client: new (config: object) => T, credentials?: Credentials): T;
}

/** Seeds the account; call before `moto.enforceIam(true)`. */
export async function seedEksWorld(moto: Moto, versions: string[]): Promise<EksWorld> {
  const client = <T>(Client: new (config: object) => T, credentials: Credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'seed' }): T =>
    new Client({ endpoint: moto.url, region: REGION, credentials });
  const iam = client(IAMClient);
  const user = async (name: string, policy: object): Promise<Credentials & { arn: string }> => {
    const created = await iam.send(new CreateUserCommand({ UserName: name }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(policy) }));
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, arn: created.User!.Arn! };
  };
  const admin = await user('test-admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  // Document 003's example: the instance's user may assume roles named gitlab-eks-*.
  const kubegateUser = await user('kubegate', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/gitlab-eks-*` } });

  const eksTrust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const roleA = (await iam.send(new CreateRoleCommand({ RoleName: 'eks-cluster-role', AssumeRolePolicyDocument: eksTrust }))).Role!.Arn!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'eks-cluster-role', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy' }));
  const roleAWithoutEksPolicy = (await iam.send(new CreateRoleCommand({ RoleName: 'eks-role-no-policy', AssumeRolePolicyDocument: eksTrust }))).Role!.Arn!;

  const ec2 = client(EC2Client);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnet = async (cidr: string, zone: string) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }))).Subnet!.SubnetId!;
  const subnetIds: [string, string] = [await subnet('10.20.1.0/24', `${REGION}a`), await subnet('10.20.2.0/24', `${REGION}b`)];
  const securityGroupId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'eks-control-plane', Description: 'EKS control plane' }))).GroupId!;
  await ec2.send(new CreateKeyPairCommand({ KeyName: 'gitlab-nodes' }));

  // AWS's public AMI parameters are reserved names moto will not let us write: the test
  // uses its own (KUBEGATE_EKS_NODE_AMI_PARAMETER), as an operator with a golden AMI would.
  for (const version of versions) await putParameter(moto, AMI_PARAMETER.replace('{version}', version), 'ami-0123456789abcdef0');

  return { moto, admin, kubegateUser, vpcId, subnetIds, securityGroupId, keyName: 'gitlab-nodes', roleA, roleAWithoutEksPolicy, client };
}

/** Role B as a user creates it in document 003: trusting Kubegate's account with the external ID, holding `actions`. */
export async function createProvisionRole(world: EksWorld, name: string, externalId: string, actions: string[]): Promise<string> {
  const iam = world.client(IAMClient, world.admin);
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: world.kubegateUser.arn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': externalId } } }] };
  const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'gitlab-eks', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }) }));
  return role.Role!.Arn!;
}

async function putParameter(moto: Moto, name: string, value: string): Promise<void> {
  const res = await motoRequest(moto.url, 'POST', '/', JSON.stringify({ Name: name, Value: value, Type: 'String' }), {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'AmazonSSM.PutParameter',
    // moto takes the region from the credential scope (unchecked before IAM enforcement).
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/${REGION}/ssm/aws4_request, SignedHeaders=host, Signature=seed`,
  });
  if (res.status !== 200) throw new Error(`SSM PutParameter ${name}: ${res.status} ${res.body}`);
}

export interface AssumedSession {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface AwsFront {
  url: string;
  /** CreateStack calls that went through, as the front saw them. */
  stacks: Array<{ name: string; parameters: Record<string, string> }>;
  /** Credentials sts:AssumeRole handed out, by access key ID (what EKS's authenticator learns from STS). */
  sessions: Map<string, AssumedSession>;
  close(): Promise<void>;
}

export interface AwsFrontOptions {
  /**
   * The status DescribeCluster answers instead of moto's (`CREATING`, as for the ten
   * minutes EKS takes), or undefined for moto's own: lets a test hold a cluster in
   * creation for as long as it looks at it.
   */
  clusterStatus?: () => string | undefined;
}

/** See the file comment. `kube` is where created EKS clusters' API "lives". */
export async function startAwsFront(world: EksWorld, kube: { url: string; caCert: string }, options: AwsFrontOptions = {}): Promise<AwsFront> {
  const stacks: AwsFront['stacks'] = [];
  const sessions: AwsFront['sessions'] = new Map();
  const target = new URL(world.moto.url);
  const server = http.createServer(async function front(req, res) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
    // Forwarded with the same Host header: moto checks the signature over it.
    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      // agent: false, as in moto.ts: moto's server may close a kept-alive socket at any time.
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false }, resolve);
      up.on('error', reject);
      up.end(body);
    });
    const upChunks: Buffer[] = [];
    for await (const chunk of upstream) upChunks.push(chunk as Buffer);
    let answer: Buffer = Buffer.concat(upChunks);
    const status = upstream.statusCode ?? 502;
    if (service === 'cloudformation' && status === 200) {
      const form = new URLSearchParams(body.toString());
      if (form.get('Action') === 'CreateStack') answer = await playCloudFormationEks(world, form, stacks, answer);
    }
    if (service === 'sts' && status === 200) {
      const roleArn = new URLSearchParams(body.toString()).get('RoleArn');
      const xml = answer.toString();
      const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
      const accessKeyId = field('AccessKeyId');
      if (roleArn && accessKeyId) sessions.set(accessKeyId, { roleArn, accessKeyId, secretAccessKey: field('SecretAccessKey')!, sessionToken: field('SessionToken')! });
    }
    if (service === 'eks' && req.method === 'GET' && /^\/clusters\/[^/]+$/.test(req.url ?? '') && status === 200) {
      const parsed = JSON.parse(answer.toString()) as { cluster: Record<string, unknown> };
      parsed.cluster.endpoint = kube.url;
      parsed.cluster.certificateAuthority = { data: Buffer.from(kube.caCert).toString('base64') };
      const held = options.clusterStatus?.();
      if (held) parsed.cluster.status = held;
      answer = Buffer.from(JSON.stringify(parsed));
    }
    const headers = { ...upstream.headers, 'content-length': String(answer.length) };
    delete headers['transfer-encoding'];
    res.writeHead(status, headers);
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stacks,
    sessions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What CloudFormation's AWS::EKS::Cluster resource does, through moto's EKS API. */
async function playCloudFormationEks(world: EksWorld, form: URLSearchParams, stacks: AwsFront['stacks'], answer: Buffer): Promise<Buffer> {
  const parameters: Record<string, string> = {};
  for (let i = 1; form.has(`Parameters.member.${i}.ParameterKey`); i++) parameters[form.get(`Parameters.member.${i}.ParameterKey`)!] = form.get(`Parameters.member.${i}.ParameterValue`) ?? '';
  stacks.push({ name: form.get('StackName') ?? '', parameters });
  const eks = world.client(EKSClient, world.admin);
  await eks.send(
    new CreateClusterCommand({
      name: parameters.ClusterName!,
      version: parameters.KubernetesVersion,
      roleArn: parameters.ClusterRole!,
      resourcesVpcConfig: { subnetIds: parameters.Subnets!.split(','), securityGroupIds: [parameters.ClusterControlPlaneSecurityGroup!] },
    }),
  );
  return answer;
}

/**
 * The simulator's token webhook for `aws eks get-token` tokens, as EKS's authenticator
 * checks them: a presigned sts:GetCallerIdentity URL whose signature covers the cluster's
 * name in `x-k8s-aws-id`. The signature is recomputed with the secret STS issued for the
 * access key (the front saw it go by); a valid token of the cluster's creator maps to an
 * administrator, as EKS maps the IAM principal that created a cluster.
 */
export function eksTokenWebhook(front: AwsFront, clusterName: string, creatorRoleArn: () => string | undefined) {
  return async function verifyEksToken(token: string) {
    if (!token.startsWith('k8s-aws-v1.')) return undefined;
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
    const q = url.searchParams;
    if (q.get('Action') !== 'GetCallerIdentity' || !(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id')) return undefined;
    const [accessKeyId, date, region] = (q.get('X-Amz-Credential') ?? '').split('/');
    const session = front.sessions.get(accessKeyId ?? '');
    if (!session || session.roleArn !== creatorRoleArn() || !date || !region) return undefined;
    const amzDate = q.get('X-Amz-Date')!;
    const signer = new SignatureV4({ service: 'sts', region, credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken }, sha256: Sha256 });
    const query: Record<string, string> = { Action: 'GetCallerIdentity', Version: q.get('Version') ?? '' };
    const again = await signer.presign(
      { method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers: { host: url.host, 'x-k8s-aws-id': clusterName } },
      { expiresIn: Number(q.get('X-Amz-Expires')), signingDate: new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) },
    );
    if ((again.query as Record<string, string>)['X-Amz-Signature'] !== q.get('X-Amz-Signature')) return undefined;
    return { username: session.roleArn, groups: ['system:masters'] };
  };
}
