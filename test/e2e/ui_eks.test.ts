/**
 * Document 003 in the web UI, in Chromium, against a real server and moto (the AWS
 * emulator, IAM enforced: signatures, policies, role trust with the external ID), the AWS
 * front of test/helpers/eks_world.ts and the Kubernetes API simulator:
 *
 * - an administrator enables the Amazon EKS integration on the settings page (a refused
 *   account ID beside its field; the secret access key sent once, never shown back);
 * - a maintainer starts a creation (the Account ID and External ID), gives an invalid
 *   role ARN (document 003's message beside the field), authenticates with a role B that
 *   may not list security groups (document 003's "Could not load Security Groups for this
 *   VPC" beside the field), fixes the role, fills the form from the lists loaded from AWS,
 *   and follows the cluster from creating (the stack's events) to created, without a reload.
 *
 * EKS takes about ten minutes to make a cluster; moto takes none. The front answers
 * DescribeCluster with CREATING while the test holds it, so the page is seen creating
 * for as long as the test looks at it, then created once released. Each page is checked
 * with axe-core and photographed into test/e2e/screenshots/ (git-ignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestServer, type ApiClient, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { MOTO_ACCOUNT_ID, MOTO_MISSING, motoCommand, startMoto, type Moto } from '../helpers/moto.js';
import { AMI_PARAMETER, DOCUMENT_003_ACTIONS, REGION, STACK_EVENTS_ACTION, createProvisionRole, eksTokenWebhook, seedEksWorld, startAwsFront, type AwsFront, type EksWorld } from '../helpers/eks_world.js';
import { assertAccessible, chromiumMissing, DESKTOP, ensureWebBuilt, launchChromium, NARROW, screenshot, type Chromium } from '../helpers/browser.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { loadTemplate } from '../../src/modules/clusters/eks/template.js';

const PROJECT = 'shop/storefront';
const CLUSTER_NAME = 'shop-production';
const SECRET_MARK = 'wJalrXUtnFEMI';
/** Locally, without moto the file is skipped saying so; on CI `startMoto` throws instead. */
const motoMissing = process.env.CI || motoCommand() ? false : MOTO_MISSING;

describe('creating an EKS cluster in the web UI', { skip: chromiumMissing() || motoMissing }, () => {
  const template = loadTemplate();
  let moto: Moto;
  let world: EksWorld;
  let front: AwsFront;
  let sim: KubeApiSimulator;
  let server: TestServer;
  let browser: Chromium;
  let page: Page;
  let maintainerToken: string;
  let maintainer: ApiClient;
  /** Role B of the cluster: the one principal the simulator's EKS authenticator accepts. */
  let creatorRole: string | undefined;
  /** While true, EKS says the cluster is still CREATING. */
  let holdCreating = false;
  let loads = 0;

  before(async () => {
    ensureWebBuilt();
    moto = (await startMoto())!;
    // The SDK's default credential chain must reach neither a metadata service nor the machine's AWS files.
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/kubegate-test/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/kubegate-test/config';
    for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE']) delete process.env[name];
    sim = await startKubeApiServer();
    world = await seedEksWorld(moto, template.kubernetesVersions);
    await moto.enforceIam(true);
    front = await startAwsFront(world, sim, { clusterStatus: () => (holdCreating ? 'CREATING' : undefined) });
    sim.setTokenWebhook(eksTokenWebhook(front, CLUSTER_NAME, () => creatorRole));
    // The EKS settings are read from the process environment (docs/configuration.md).
    process.env.KUBEGATE_AWS_ENDPOINT_URL = front.url;
    process.env.KUBEGATE_EKS_POLL_INTERVAL_SECONDS = '0.5';
    process.env.KUBEGATE_EKS_NODE_AMI_PARAMETER = AMI_PARAMETER;
    server = await startTestServer({ tls: true });
    const project = await ensureProject(server, PROJECT);
    const user = await server.api('POST', '/users', { username: 'maint', name: 'Mai Maintainer', email: 'maint@example.com' });
    await server.api('POST', `/projects/${project.id}/members`, { user_id: user.body.id, access_level: 40 });
    maintainerToken = (await server.api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'ui', scopes: ['api'] })).body.token;
    maintainer = server.api.as(maintainerToken);
    browser = await launchChromium();
    page = browser.page;
    page.on('load', () => (loads += 1));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await front?.close();
    await sim?.close();
    await moto?.stop();
  });

  /** The text tied to a control: its hint and its error (aria-describedby). */
  async function describedBy(label: string | RegExp): Promise<string> {
    const ids = ((await page.getByLabel(label).getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
    return texts.join(' ');
  }

  async function signIn(token: string) {
    await page.getByRole('heading', { name: 'Sign in to Kubegate' }).waitFor();
    await page.getByLabel('Personal access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('an administrator enables the Amazon EKS integration; the secret access key is never shown back', async () => {
    await page.goto(`${server.url}/admin/application_settings/general`);
    await signIn(server.rootToken);
    await page.getByRole('heading', { name: 'Amazon EKS' }).waitFor();
    await page.locator('[data-secret-status="not-set"]').waitFor();
    await assertAccessible(page, 'the application settings');
    await screenshot(page, 'eks-01-settings');

    await page.getByLabel('Enable Amazon EKS integration').check();
    await page.getByLabel('Account ID').fill('12345');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.field-invalid', { has: page.getByLabel('Account ID') }).getByText('eks_account_id must be a 12-digit AWS account ID, e.g. 123456789012').waitFor();
    assert.equal(await page.getByLabel('Account ID').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'the application settings with an error');
    await screenshot(page, 'eks-02-settings-error');

    await page.getByLabel('Account ID').fill(MOTO_ACCOUNT_ID);
    await page.getByLabel('Access key ID').fill(world.kubegateUser.accessKeyId);
    await page.getByLabel('Secret access key').fill(world.kubegateUser.secretAccessKey);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.locator('[data-secret-status="set"]').waitFor();
    assert.equal(await page.getByLabel('Secret access key').inputValue(), '');
    assert.ok(!(await page.content()).includes(world.kubegateUser.secretAccessKey), 'the secret is not on the page');

    const stored = await server.api('GET', '/application/settings');
    assert.equal(stored.body.eks_integration_enabled, true);
    assert.equal(stored.body.eks_account_id, MOTO_ACCOUNT_ID);
    assert.equal(stored.body.eks_access_key_id, world.kubegateUser.accessKeyId);

    await page.reload();
    await page.locator('[data-secret-status="set"]').waitFor();
    assert.equal(await page.getByLabel('Access key ID').inputValue(), world.kubegateUser.accessKeyId);
    assert.ok(!(await page.content()).includes(world.kubegateUser.secretAccessKey), 'the secret is not on the page after a reload');
    assert.ok(!(await page.content()).includes(SECRET_MARK));
    await screenshot(page, 'eks-03-settings-saved');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  test('a maintainer has no settings page: the API refuses, and the page says so', async () => {
    await page.goto(`${server.url}/admin/application_settings/general`);
    await signIn(maintainerToken);
    await page.getByText('only administrators read and change the application settings').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin settings' }).count(), 0);
  });

  test('a maintainer creates a cluster: the External ID for role B, document 003\'s errors beside their fields, then the lists from AWS', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/clusters?tab=certificate_based`);
    await page.getByRole('link', { name: 'Create cluster on Amazon EKS' }).first().click();
    await page.getByRole('button', { name: 'Get the Account ID and External ID' }).waitFor();
    await assertAccessible(page, 'the EKS start page');
    await page.getByRole('button', { name: 'Get the Account ID and External ID' }).click();
    const externalId = (await page.getByTestId('eks-external-id').textContent()) ?? '';
    assert.equal(await page.getByTestId('eks-account-id').textContent(), MOTO_ACCOUNT_ID);
    // What the page shows is the request's, kept in the URL for a reload.
    const requestId = new URL(page.url()).searchParams.get('request_id');
    const request = await maintainer('GET', `/projects/${encodeURIComponent(PROJECT)}/clusters/eks_requests/${requestId}`);
    assert.equal(request.status, 200);
    assert.equal(request.body.external_id, externalId);
    assert.match(externalId, /^[0-9a-f]{40}$/);
    await page.reload();
    assert.equal(await page.getByTestId('eks-external-id').textContent(), externalId);
    await assertAccessible(page, 'the Account ID and External ID');
    await screenshot(page, 'eks-04-external-id');

    // Document 003's first troubleshooting case: not an ARN.
    await page.getByLabel('Role ARN').fill('gitlab-eks-provision');
    await page.getByLabel('Cluster region').fill(REGION);
    await page.getByRole('button', { name: 'Authenticate with AWS' }).click();
    await page.locator('.field-invalid', { has: page.getByLabel('Role ARN') }).getByText(/^Validation failed: Role ARN must be a valid Amazon Resource Name/).waitFor();
    assert.match(await describedBy('Role ARN'), /e\.g\. arn:aws:iam::123456789012:role\/gitlab-eks-provision/);
    await assertAccessible(page, 'the authentication form with an error');
    await screenshot(page, 'eks-05-invalid-role-arn');

    // Role B as the user first makes it: trusting this External ID, but without ec2:DescribeSecurityGroups.
    const partial = await createProvisionRole(world, 'gitlab-eks-partial', externalId, DOCUMENT_003_ACTIONS.filter((a) => a !== 'ec2:DescribeSecurityGroups'));
    await page.getByLabel('Role ARN').fill(partial);
    await page.getByRole('button', { name: 'Authenticate with AWS' }).click();
    await page.getByText('Authenticated as').waitFor();
    await page.getByLabel(/^VPC/).selectOption(world.vpcId);
    const securityGroup = page.locator('.field-invalid', { has: page.getByLabel('Security group') });
    await securityGroup.getByText(new RegExp(`^Could not load Security Groups for this VPC \\(${world.vpcId}\\): AWS answered AccessDenied`)).waitFor();
    assert.equal(await page.getByLabel('Security group').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'the cluster form with a list that cannot be loaded');
    await screenshot(page, 'eks-06-security-groups-not-loaded');

    // Fixed: the full policy (with DescribeStackEvents, to see the stack's events), authenticated again.
    creatorRole = await createProvisionRole(world, 'gitlab-eks-provision', externalId, [...DOCUMENT_003_ACTIONS, STACK_EVENTS_ACTION]);
    await page.getByLabel('Role ARN').fill(creatorRole);
    await page.getByRole('button', { name: 'Authenticate with AWS' }).click();
    await page.getByText(creatorRole, { exact: true }).waitFor();

    await page.getByLabel('Kubernetes cluster name').fill(CLUSTER_NAME);
    await page.getByLabel('Service role').selectOption({ label: 'eks-cluster-role' });
    await page.getByLabel('Kubernetes version').selectOption('1.31');
    await page.getByLabel('Key pair name').selectOption(world.keyName);
    await page.getByLabel(/^VPC/).selectOption(world.vpcId);
    await page.getByLabel(new RegExp(world.subnetIds[0])).check();
    await page.getByLabel('Security group').selectOption(world.securityGroupId);
    await page.getByLabel('Instance type').selectOption('t3.medium');
    await page.getByLabel('Number of nodes').fill('2');
    // One subnet: the form's rule, in the API's words, beside the subnets.
    await page.getByRole('button', { name: 'Create Kubernetes cluster' }).click();
    await page.getByRole('group', { name: /Subnets/ }).getByText(/provider_aws_attributes\.subnet_ids must list at least two subnets/).waitFor();
    await assertAccessible(page, 'the cluster form');
    await screenshot(page, 'eks-07-cluster-form');

    await page.getByLabel(new RegExp(world.subnetIds[1])).check();
    holdCreating = true;
    await page.getByRole('button', { name: 'Create Kubernetes cluster' }).click();
    await page.locator('[data-provision-status="creating"]').waitFor({ timeout: 20_000 });
    const clusterPath = new URL(page.url()).pathname;
    assert.match(clusterPath, new RegExp(`^/${PROJECT}/-/clusters/\\d+$`));
    const events = page.getByRole('table', { name: /Stack events/ });
    await events.getByRole('row', { name: /AWS::CloudFormation::Stack/ }).first().waitFor();
    await page.getByText('not known until the cluster is created').waitFor();
    await assertAccessible(page, 'a cluster being created');
    await screenshot(page, 'eks-08-cluster-creating');

    // EKS is done: the page turns to created by itself.
    const loadsBefore = loads;
    holdCreating = false;
    await page.locator('[data-provision-status="created"]').waitFor({ timeout: 30_000 });
    await page.getByText(sim.url, { exact: true }).waitFor();
    assert.equal(loads, loadsBefore, 'the page was not reloaded');
    const clusterId = clusterPath.split('/').at(-1);
    const cluster = await maintainer('GET', `/projects/${encodeURIComponent(PROJECT)}/clusters/${clusterId}`);
    assert.equal(cluster.body.provider_aws.status_name, 'created');
    assert.equal(cluster.body.platform_kubernetes.api_url, sim.url);
    assert.deepEqual(cluster.body.provider_aws.subnet_ids, world.subnetIds);
    assert.equal(cluster.body.provider_aws.role_arn, world.roleA);
    assert.equal(cluster.body.provider_aws.provision_role_arn, creatorRole);
    assert.equal(cluster.body.provider_aws.num_nodes, 2);
    await assertAccessible(page, 'a created cluster');
    await screenshot(page, 'eks-09-cluster-created');
    await page.setViewportSize(NARROW);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(overflow <= 0, `the narrow layout does not scroll sideways (${overflow}px too wide)`);
    await screenshot(page, 'eks-10-cluster-created-narrow');
    await page.setViewportSize(DESKTOP);

    // And it is listed as such.
    await page.getByRole('link', { name: 'Kubernetes clusters' }).first().click();
    await page.getByRole('link', { name: 'Certificate-based' }).click();
    await page.getByRole('row', { name: new RegExp(`${CLUSTER_NAME} \\* ${sim.url.replace(/[.]/g, '\\.')}.*Amazon EKS Created`) }).waitFor();
    assert.deepEqual(browser.problems, []);
  });
});
