/**
 * Creating an EKS cluster through AWS as document 003 describes, against moto (a real AWS
 * API emulator on loopback, IAM enforced: signatures, identity policies, role trust with
 * the external ID): the instance settings, the external ID for role B, AssumeRole, the
 * form's lists, the CloudFormation stack, its events, and the cluster record becoming
 * usable by jobs (a GitLab-managed namespace used by kubectl through `gitlab-deploy`).
 *
 * Document 003's troubleshooting cases produced here with moto: an invalid role ARN (no
 * AWS call), AssumeRole refused (wrong external ID; a role the settings' user may not
 * assume), security groups and key pairs that role B may not list, and role A without
 * AmazonEKSClusterPolicy (checked before the stack through iam:ListAttachedRolePolicies).
 * moto cannot produce a stack that fails (its CloudFormation creates synchronously and
 * skips AWS::EKS::Cluster): ROLLBACK_FAILED and EKS's own "Managed Policies" refusal
 * inside a stack are tested at the SDK boundary in src/modules/clusters/eks/provisioner.test.ts.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type ApiClient, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch } from '../helpers/git.js';
import { jobEnvironment, jobVariables } from '../helpers/job_variables.js';
import { MOTO_ACCOUNT_ID, MOTO_MISSING, startMoto, type Moto } from '../helpers/moto.js';
import { AMI_PARAMETER, DOCUMENT_003_ACTIONS, REGION, STACK_EVENTS_ACTION, createProvisionRole, eksTokenWebhook, seedEksWorld, startAwsFront, type AwsFront, type EksWorld } from '../helpers/eks_world.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl } from '../kube-apiserver/testing/kubectl.js';
import { loadTemplate } from '../../src/modules/clusters/eks/template.js';

const template = loadTemplate();
let moto: Moto | undefined;
let world: EksWorld;
let front: AwsFront;
let sim: KubeApiSimulator;
let server: TestServer;
let project: { id: number; path_with_namespace: string };
let maintainer: ApiClient;
/** Role B of the cluster being created: the one principal the simulator's EKS authenticator accepts. */
let creatorRole: string | undefined;
const CLUSTER_NAME = 'shop-production';

function skipWithoutMoto(t: TestContext): boolean {
  if (!moto) t.skip(MOTO_MISSING);
  return !moto;
}

async function startServer(pollSeconds: string, dataDir?: string): Promise<TestServer> {
  // The EKS settings are read from the process environment (docs/configuration.md).
  process.env.KUBEGATE_AWS_ENDPOINT_URL = front.url;
  process.env.KUBEGATE_EKS_POLL_INTERVAL_SECONDS = pollSeconds;
  process.env.KUBEGATE_EKS_NODE_AMI_PARAMETER = AMI_PARAMETER;
  return startTestServer(dataDir ? { dataDir } : {});
}

before(async () => {
  moto = await startMoto();
  if (!moto) return;
  // The SDK's default credential chain must never reach for an instance's metadata
  // service (a link-local address) from a test.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // Nor find the machine's own AWS files: the chain holds what a test puts in it only.
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/kubegate-test/credentials';
  process.env.AWS_CONFIG_FILE = '/nonexistent/kubegate-test/config';
  for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete process.env[name];
  sim = await startKubeApiServer();
  world = await seedEksWorld(moto, template.kubernetesVersions);
  await moto.enforceIam(true);
  front = await startAwsFront(world, sim);
  sim.setTokenWebhook(eksTokenWebhook(front, CLUSTER_NAME, () => creatorRole));
  server = await startServer('0.1');
  project = await ensureProject(server, 'shop/storefront');
  const user = await server.api('POST', '/users', { username: 'maint', name: 'Maint', email: 'maint@example.com' });
  await server.api('POST', `/projects/${project.id}/members`, { user_id: user.body.id, access_level: 40 });
  maintainer = server.api.as((await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token);
});

after(async () => {
  await server?.close();
  await front?.close();
  await sim?.close();
  await moto?.stop();
});

const requests = () => `/projects/${project.id}/clusters/eks_requests`;

async function startRequest(api: ApiClient = server.api): Promise<{ id: number; external_id: string; account_id: string }> {
  const res = await api('POST', requests());
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function authorize(id: number, roleArn: string, api: ApiClient = server.api) {
  return api('POST', `${requests()}/${id}/authorize`, { role_arn: roleArn, region: REGION });
}

function form(overrides: Record<string, unknown> = {}, name = CLUSTER_NAME) {
  return {
    name,
    environment_scope: '*',
    managed: true,
    provider_aws_attributes: {
      role_arn: world.roleA,
      kubernetes_version: '1.31',
      key_name: world.keyName,
      vpc_id: world.vpcId,
      subnet_ids: world.subnetIds,
      security_group_id: world.securityGroupId,
      instance_type: 't3.medium',
      num_nodes: 2,
      ...overrides,
    },
  };
}

async function clusterUntil(id: number, done: (c: any) => boolean): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await server.api('GET', `/projects/${project.id}/clusters/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (done(res.body)) return res.body;
    await sleep(50);
  }
  assert.fail(`cluster ${id} did not get there`);
}

describe('instance settings: GET/PUT /application/settings', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-secret';

  test('administrators only; GitLab field names; the secret is stored sealed and never returned or logged', async (t) => {
    if (skipWithoutMoto(t)) return;
    const initial = await server.api('GET', '/application/settings');
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.body, { id: 1, eks_integration_enabled: false, eks_account_id: null, eks_access_key_id: null, updated_at: null });
    assert.equal((await maintainer('GET', '/application/settings')).status, 403);
    assert.equal((await maintainer('PUT', '/application/settings', { eks_integration_enabled: true })).status, 403);
    assert.equal((await server.api('GET', '/application/settings', undefined, null)).status, 401);

    // Before it is enabled, no creation can start.
    const early = await server.api('POST', requests());
    assert.equal(early.status, 422);
    assert.match(early.body.message, /Amazon EKS integration is not enabled.*PUT \/api\/v4\/application\/settings/);

    const bad: Array<[unknown, RegExp]> = [
      [{ eks_account_id: '12345' }, /eks_account_id must be a 12-digit AWS account ID/],
      [{ eks_integration_enabled: true }, /eks_account_id can't be blank while eks_integration_enabled is true/],
      [{ eks_access_key_id: 'AKIA0123456789ABCDEF' }, /eks_secret_access_key can't be blank when eks_access_key_id is set/],
      [{ eks_access_key_id: 'short', eks_secret_access_key: 'x' }, /eks_access_key_id is too short \(minimum is 16 characters\)/],
      [{ signup_enabled: false }, /signup_enabled: not a setting Kubegate has; the application settings it keeps are eks_integration_enabled, eks_account_id, eks_access_key_id, eks_secret_access_key/],
      [{ eks_integration_enabled: 'yes' }, /eks_integration_enabled/],
    ];
    for (const [body, message] of bad) {
      const res = await server.api('PUT', '/application/settings', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message);
    }

    // GitLab's documented form: settings in the query string; the body works too.
    const put = await server.api('PUT', `/application/settings?eks_integration_enabled=true&eks_account_id=${MOTO_ACCOUNT_ID}`, { eks_access_key_id: world.kubegateUser.accessKeyId, eks_secret_access_key: SECRET });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.eks_integration_enabled, true);
    assert.equal(put.body.eks_account_id, MOTO_ACCOUNT_ID);
    assert.equal(put.body.eks_access_key_id, world.kubegateUser.accessKeyId);
    assert.equal(put.body.eks_secret_access_key, undefined);
    const row = await server.app.store.db.selectFrom('application_settings').selectAll().executeTakeFirstOrThrow();
    assert.doesNotMatch(row.eks_secret_access_key_encrypted ?? '', /wJalrXUtnFEMI/);
    assert.doesNotMatch(JSON.stringify(server.logs), /wJalrXUtnFEMI/);
    assert.doesNotMatch(JSON.stringify((await server.api('GET', '/application/settings')).body), /wJalrXUtnFEMI/);

    // The secret in the query string, GitLab's style: the request log shows it redacted.
    const viaQuery = await server.api('PUT', `/application/settings?eks_access_key_id=${world.kubegateUser.accessKeyId}&eks_secret_access_key=${encodeURIComponent(SECRET)}`);
    assert.equal(viaQuery.status, 200, JSON.stringify(viaQuery.body));
    assert.doesNotMatch(JSON.stringify(server.logs), /wJalrXUtnFEMI/);
    assert.ok(server.logs.some((l) => String((l.req as { url?: string } | undefined)?.url).includes('eks_secret_access_key=[redacted]')));

    // Clearing the key ID goes back to the default credential chain, the secret with it.
    const cleared = await server.api('PUT', '/application/settings', { eks_access_key_id: '' });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.eks_access_key_id, null);
    assert.equal((await server.app.store.db.selectFrom('application_settings').selectAll().executeTakeFirstOrThrow()).eks_secret_access_key_encrypted, null);

    // Empty keys: the AWS SDK's default credential chain, here its environment provider
    // (an instance profile on EC2). With nothing in the chain, a clear 503.
    const { external_id: chainExternalId, id: chainRequest } = await startRequest();
    const chainRole = await createProvisionRole(world, 'gitlab-eks-default-chain', chainExternalId, DOCUMENT_003_ACTIONS);
    const nothing = await authorize(chainRequest, chainRole);
    assert.equal(nothing.status, 503, JSON.stringify(nothing.body));
    assert.match(nothing.body.message, /^Kubegate has no AWS credentials to assume the role with .*set eks_access_key_id and eks_secret_access_key .* or give the server an instance profile$/);
    process.env.AWS_ACCESS_KEY_ID = world.kubegateUser.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = world.kubegateUser.secretAccessKey;
    try {
      const viaChain = await authorize(chainRequest, chainRole);
      assert.equal(viaChain.status, 200, JSON.stringify(viaChain.body));
      assert.equal(viaChain.body.authorized, true);
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }

    // The real keys for the rest of the file: moto checks every signature.
    const real = await server.api('PUT', '/application/settings', { eks_access_key_id: world.kubegateUser.accessKeyId, eks_secret_access_key: world.kubegateUser.secretAccessKey });
    assert.equal(real.status, 200, JSON.stringify(real.body));
  });
});

describe('document 003 troubleshooting, produced with moto', () => {
  test('a creation request shows the Account ID and a fresh External ID; it is its creator\'s alone', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await startRequest(maintainer);
    const b = await startRequest(maintainer);
    assert.equal(a.account_id, MOTO_ACCOUNT_ID);
    assert.match(a.external_id, /^[0-9a-f]{40}$/);
    assert.notEqual(a.external_id, b.external_id);
    const mine = await maintainer('GET', `${requests()}/${a.id}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.external_id, a.external_id);
    assert.equal(mine.body.authorized, false);
    assert.equal((await server.api('GET', `${requests()}/${a.id}`)).status, 404, "another user (even an admin) does not see someone's external ID");
    const outsider = await server.api('POST', '/users', { username: 'dev', name: 'Dev', email: 'dev@example.com' });
    await server.api('POST', `/projects/${project.id}/members`, { user_id: outsider.body.id, access_level: 30 });
    const dev = server.api.as((await server.api('POST', `/users/${outsider.body.id}/personal_access_tokens`, { name: 't', scopes: ['api'] })).body.token);
    assert.equal((await dev('POST', requests())).status, 403, 'developers do not manage clusters');
  });

  test('an invalid role ARN: "Role ARN must be a valid Amazon Resource Name", with the valid example', async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id } = await startRequest();
    for (const arn of ['gitlab-eks-provision', 'arn:aws:iam::1234:role/x', 'arn:aws:s3:::bucket', undefined]) {
      const res = await server.api('POST', `${requests()}/${id}/authorize`, { role_arn: arn, region: REGION });
      assert.equal(res.status, 400, String(arn));
      assert.match(res.body.message, /^Validation failed: Role ARN must be a valid Amazon Resource Name/);
      assert.match(res.body.message, /arn:aws:iam::123456789012:role\/gitlab-eks-provision/);
    }
    const region = await server.api('POST', `${requests()}/${id}/authorize`, { role_arn: world.roleA, region: 'Europe' });
    assert.equal(region.status, 400);
    assert.match(region.body.message, /region must be an AWS region name, e.g. eu-west-1/);
  });

  test('AssumeRole refused: "Access denied: User … is not authorized to perform: sts:AssumeRole on resource: …" and the three checks', async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id, external_id: externalId } = await startRequest();
    // Role B trusts another external ID: moto's trust policy check refuses.
    const wrongTrust = await createProvisionRole(world, 'gitlab-eks-wrong-trust', 'not-the-external-id', DOCUMENT_003_ACTIONS);
    // Trust is right, but the settings' user may assume only gitlab-eks-* roles.
    const notAllowed = await createProvisionRole(world, 'other-provision', externalId, DOCUMENT_003_ACTIONS);
    for (const roleArn of [wrongTrust, notAllowed]) {
      const res = await authorize(id, roleArn);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(
        res.body.message.split('. Check')[0],
        `Access denied: User ${world.kubegateUser.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
      assert.match(res.body.message, /sts:AssumeRole on this role; 2\) the role may create clusters in region eu-west-1; 3\) the role's trust relationship names account ID 123456789012 and external ID [0-9a-f]{40}\.$/);
    }
    assert.equal((await server.api('GET', `${requests()}/${id}`)).body.authorized, false);
  });

  test('"Could not load Security Groups for this VPC" and key pairs not loaded, when role B lacks the rights', async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id, external_id: externalId } = await startRequest();
    const partial = DOCUMENT_003_ACTIONS.filter((a) => a !== 'ec2:DescribeSecurityGroups' && a !== 'ec2:DescribeKeyPairs');
    const roleArn = await createProvisionRole(world, 'gitlab-eks-partial', externalId, partial);
    assert.equal((await authorize(id, roleArn)).status, 200);
    const groups = await server.api('GET', `${requests()}/${id}/options/security_groups?vpc_id=${world.vpcId}`);
    assert.equal(groups.status, 422);
    assert.match(groups.body.message, new RegExp(`^Could not load Security Groups for this VPC \\(${world.vpcId}\\): AWS answered AccessDenied: .*ec2:DescribeSecurityGroups.*lacks the permissions the form needs`));
    const keys = await server.api('GET', `${requests()}/${id}/options/key_pairs`);
    assert.equal(keys.status, 422);
    assert.match(keys.body.message, /^Key pairs are not loaded for region eu-west-1: AWS answered AccessDenied: .*make sure a key pair exists in eu-west-1/);
    // What the role may list still loads.
    const vpcs = await server.api('GET', `${requests()}/${id}/options/vpcs`);
    assert.equal(vpcs.status, 200);
    assert.ok(vpcs.body.some((v: { id: string }) => v.id === world.vpcId));
    const noVpc = await server.api('GET', `${requests()}/${id}/options/subnets`);
    assert.equal(noVpc.status, 400);
    assert.match(noVpc.body.message, /vpc_id is missing/);
    assert.equal((await server.api('GET', `${requests()}/${id}/options/buckets`)).status, 404);
    // The form can't go through with lists that cannot be loaded either.
    const create = await server.api('POST', `${requests()}/${id}/clusters`, form());
    assert.equal(create.status, 422);
    assert.match(create.body.message, /^Key pairs are not loaded/);
  });

  test("role A without AmazonEKSClusterPolicy: EKS's message, before any stack is made", async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id, external_id: externalId } = await startRequest();
    const roleArn = await createProvisionRole(world, 'gitlab-eks-policy-check', externalId, DOCUMENT_003_ACTIONS);
    assert.equal((await authorize(id, roleArn)).status, 200);
    const stacksBefore = front.stacks.length;
    const res = await server.api('POST', `${requests()}/${id}/clusters`, form({ role_arn: world.roleAWithoutEksPolicy }, 'no-policy'));
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.match(res.body.message, /^The provided role doesn't have the Amazon EKS Managed Policies associated with it\. The service role arn:aws:iam::123456789012:role\/eks-role-no-policy \(role A\) needs the AmazonEKSClusterPolicy/);
    assert.equal(front.stacks.length, stacksBefore, 'no stack was created');
  });

  test("the form's rules: two subnets or more in two zones of the VPC, the template's versions and instance types, a key pair of the region", async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id, external_id: externalId } = await startRequest();
    const roleArn = await createProvisionRole(world, 'gitlab-eks-form', externalId, DOCUMENT_003_ACTIONS);
    assert.equal((await authorize(id, roleArn)).status, 200);
    const cases: Array<[unknown, RegExp]> = [
      [form({ subnet_ids: [world.subnetIds[0]] }), /provider_aws_attributes\.subnet_ids must list at least two subnets/],
      [form({ subnet_ids: [world.subnetIds[0], world.subnetIds[0]] }), /must not list a subnet twice/],
      [form({ subnet_ids: [world.subnetIds[0], 'subnet-0000000a'] }), /subnet-0000000a is not a subnet of VPC/],
      [form({ kubernetes_version: '1.10' }), /kubernetes_version must be one of 1\.29, 1\.30, 1\.31, 1\.32/],
      [form({ instance_type: 'x9.huge' }), /instance_type must be one of t3\.small/],
      [form({ key_name: 'nope' }), /key pair "nope" does not exist in region eu-west-1; create it there or choose one of gitlab-nodes/],
      [form({ security_group_id: 'sg-00000000' }), /sg-00000000 is not a security group of VPC/],
      [form({ num_nodes: 0 }), /num_nodes must be at least 1/],
      [form({ role_arn: 'eks-cluster-role' }), /^Validation failed: Role ARN must be a valid Amazon Resource Name/],
      [form({}, 'bad name!'), /name can contain only letters, digits/],
      [{ ...form(), provider_aws_attributes: undefined }, /provider_aws_attributes is missing/],
    ];
    for (const [body, message] of cases) {
      const res = await server.api('POST', `${requests()}/${id}/clusters`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    const unauthorized = await startRequest();
    const early = await server.api('POST', `${requests()}/${unauthorized.id}/clusters`, form());
    assert.equal(early.status, 409);
    assert.match(early.body.message, /authenticate with AWS first/);
  });
});

describe('from settings to a usable cluster', () => {
  test('authorize, load the lists, create: the stack, its events, and a cluster jobs deploy to through gitlab-deploy', async (t) => {
    if (skipWithoutMoto(t)) return;
    const { id, external_id: externalId } = await startRequest(maintainer);
    creatorRole = await createProvisionRole(world, 'gitlab-eks-provision', externalId, [...DOCUMENT_003_ACTIONS, STACK_EVENTS_ACTION]);
    const auth = await authorize(id, creatorRole, maintainer);
    assert.equal(auth.status, 200, JSON.stringify(auth.body));
    assert.equal(auth.body.authorized, true);
    assert.equal(auth.body.role_arn, creatorRole);
    assert.equal(auth.body.region, REGION);

    const options = async (resource: string, query = '') => {
      const res = await maintainer('GET', `${requests()}/${id}/options/${resource}${query}`);
      assert.equal(res.status, 200, `${resource}: ${JSON.stringify(res.body)}`);
      return res.body as any[];
    };
    assert.ok((await options('regions')).some((r) => r.name === REGION));
    assert.deepEqual((await options('kubernetes_versions')).map((v) => v.version), template.kubernetesVersions);
    assert.ok((await options('instance_types')).some((i) => i.name === 't3.medium'));
    assert.deepEqual((await options('key_pairs')).map((k) => k.name), [world.keyName]);
    assert.ok((await options('vpcs')).some((v) => v.id === world.vpcId));
    const subnets = await options('subnets', `?vpc_id=${world.vpcId}`);
    assert.deepEqual(subnets.map((s) => s.id).sort(), [...world.subnetIds].sort());
    assert.deepEqual(subnets.map((s) => s.availability_zone).sort(), [`${REGION}a`, `${REGION}b`]);
    assert.ok((await options('security_groups', `?vpc_id=${world.vpcId}`)).some((g) => g.id === world.securityGroupId));
    assert.ok((await options('roles')).some((r) => r.arn === world.roleA));

    const created = await maintainer('POST', `${requests()}/${id}/clusters`, form());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const clusterId = created.body.id;
    assert.equal(created.body.provider_type, 'aws');
    assert.equal(created.body.managed, true);
    assert.equal(created.body.platform_kubernetes.api_url, null, 'no API URL before the cluster exists');
    assert.equal(created.body.provider_aws.role_arn, world.roleA);
    assert.equal(created.body.provider_aws.provision_role_arn, creatorRole);
    assert.equal(created.body.provider_aws.stack_name, `kubegate-${clusterId}-${CLUSTER_NAME}`);
    assert.ok(['scheduled', 'creating', 'created'].includes(created.body.provider_aws.status_name));
    const again = await maintainer('POST', `${requests()}/${id}/clusters`, form());
    assert.equal(again.status, 409, 'one cluster per creation request');

    const ready = await clusterUntil(clusterId, (c) => c.provider_aws.status_name !== 'scheduled' && c.provider_aws.status_name !== 'creating');
    assert.equal(ready.provider_aws.status_name, 'created', ready.provider_aws.status_reason);
    assert.match(ready.provider_aws.stack_id, /^arn:aws:cloudformation:eu-west-1:123456789012:stack\/kubegate-/);
    assert.equal(ready.platform_kubernetes.api_url, sim.url);
    assert.equal(ready.platform_kubernetes.ca_cert, sim.caCert);

    // The stack as Kubegate created it, from the shipped template.
    const stack = front.stacks.at(-1)!;
    assert.equal(stack.name, `kubegate-${clusterId}-${CLUSTER_NAME}`);
    assert.deepEqual(stack.parameters, {
      ClusterName: CLUSTER_NAME,
      ClusterRole: world.roleA,
      KubernetesVersion: '1.31',
      ClusterControlPlaneSecurityGroup: world.securityGroupId,
      VpcId: world.vpcId,
      Subnets: world.subnetIds.join(','),
      KeyName: world.keyName,
      NodeInstanceType: 't3.medium',
      NodeAutoScalingGroupDesiredCapacity: '2',
      NodeImageIdSSMParam: '/kubegate-test/eks-ami/1.31',
    });
    const events = await maintainer('GET', `/projects/${project.id}/clusters/${clusterId}/stack_events`);
    assert.equal(events.status, 200, JSON.stringify(events.body));
    assert.equal(events.body.stack_id, ready.provider_aws.stack_id);
    assert.ok(events.body.events.some((e: any) => e.resource_type === 'AWS::CloudFormation::Stack' && e.resource_status === 'CREATE_COMPLETE'));

    // Set up inside the cluster as role B (its creator): nodes may join, Kubegate's admin account.
    assert.match(String((sim.get('v1', 'ConfigMap', 'kube-system', 'aws-auth')?.data as Record<string, string>).mapRoles), /rolearn: arn:aws:iam::123456789012:role\/kubegate-.*NodeInstanceRole/);
    assert.ok(sim.get('v1', 'ServiceAccount', 'default', 'gitlab'));
    assert.equal(sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'gitlab-admin')?.roleRef && (sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'gitlab-admin')!.roleRef as { name: string }).name, 'cluster-admin');
    assert.ok(sim.requests.some((r) => r.authenticatedUser.username === creatorRole), 'the setup ran with an EKS token of role B');
    const row = await server.app.store.db.selectFrom('clusters').selectAll().where('id', '=', clusterId).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.token_encrypted, /^sa-/, 'the token is sealed');

    // A deploy job: its own managed namespace, used by kubectl through gitlab-deploy.
    await ensureBranch(server, project.path_with_namespace, 'main');
    const job = await server.api('POST', `/projects/${project.id}/jobs`, { ref: 'main', environment: 'production' });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    const variables = await jobVariables(server, job.body.token);
    const namespace = `storefront-${project.id}-production`;
    assert.equal(variables.find((v) => v.key === 'KUBE_NAMESPACE')?.value, namespace);
    assert.equal(variables.find((v) => v.key === 'KUBE_URL')?.value, sim.url);
    const kenv = await jobEnvironment(variables);
    try {
      const ctx = await kubectl(kenv, ['config', 'current-context']);
      assert.equal(ctx.stdout.trim(), 'gitlab-deploy');
      const apply = await kubectl(kenv, ['create', 'deployment', 'shop', '--image=nginx:1.27']);
      assert.equal(apply.code, 0, apply.stderr);
      assert.ok(sim.get('apps/v1', 'Deployment', namespace, 'shop'));
      const denied = await kubectl(kenv, ['get', 'secrets', '-n', 'default']);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /Forbidden/);
    } finally {
      await kenv.cleanup();
    }
  });

  test('a server restarted while a cluster is creating picks it up where it was', async (t) => {
    if (skipWithoutMoto(t)) return;
    const name = 'shop-staging';
    // Only the servers of this test may step the cluster: the suite's server (polling every
    // 0.1 s) would race `first` for the same row. It stops here; its data dir stays.
    await server.stop();
    const first = await startServer('600', server.dataDir);
    t.after(() => first.stop());
    const { id, external_id: externalId } = await startRequest(first.api);
    // Exactly document 003's policy this time (no cloudformation:DescribeStackEvents).
    const roleArn = await createProvisionRole(world, 'gitlab-eks-restart', externalId, DOCUMENT_003_ACTIONS);
    assert.equal((await authorize(id, roleArn, first.api)).status, 200);
    // The cluster's API does not take role B's token yet (as while EKS still sets up its
    // authenticator): the stack completes, the set-up fails once, and the server stops.
    creatorRole = undefined;
    sim.setTokenWebhook(eksTokenWebhook(front, name, () => creatorRole));
    const created = await first.api('POST', `${requests()}/${id}/clusters`, { ...form({}, name), environment_scope: 'staging' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const clusterId = created.body.id;
    await eventually(() => first.logs.some((l) => l.clusterId === clusterId && /could not be set up yet; retrying/.test(String(l.msg))));
    // `first` waits 600 s before its next try: the row stays as it is while it stops.
    const stopped = await first.app.store.db.selectFrom('cluster_providers_aws').selectAll().where('cluster_id', '=', clusterId).executeTakeFirstOrThrow();
    assert.equal(stopped.status, 'creating');
    assert.ok(stopped.stack_id, 'the stack id was stored');
    await first.stop();
    const stacks = front.stacks.length;

    creatorRole = roleArn;
    const second = await startServer('0.1', server.dataDir);
    try {
      const ready = await eventually(async () => {
        const res = await second.api('GET', `/projects/${project.id}/clusters/${clusterId}`);
        return res.body.provider_aws.status_name === 'created' ? res.body : undefined;
      });
      assert.equal(ready.provider_aws.stack_id, stopped.stack_id);
      assert.equal(front.stacks.length, stacks, 'no second stack');
      const events = await second.api('GET', `/projects/${project.id}/clusters/${clusterId}/stack_events`);
      assert.equal(events.status, 422);
      assert.match(events.body.message, /AccessDenied: .*cloudformation:DescribeStackEvents.*; add cloudformation:DescribeStackEvents to role B's policy \(document 003's policy lacks it\)$/);
    } finally {
      await second.stop();
      sim.setTokenWebhook(eksTokenWebhook(front, CLUSTER_NAME, () => creatorRole));
    }
  });
});

async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await sleep(50);
  }
}
