import { describe, expect, test } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PROJECT, TEST_CSRF, fakeApi, renderApp } from '../../../test/render';

const BASE = '/projects/platform%2Fclusters/clusters/eks_requests';
const EXTERNAL_ID = '5f0c2b7e9a4d41c3b8e6a2d9f1c7b3e5a8d4c2f1';
const REQUEST = { id: 4, account_id: '123456789012', external_id: EXTERNAL_ID, role_arn: null, region: null, authorized: false, authorized_at: null, cluster_id: null, user_id: 2, created_at: '2026-01-01T00:00:00.000Z' };
const ROLE_B = 'arn:aws:iam::210987654321:role/gitlab-eks-provision';
const AUTHORIZED = { ...REQUEST, role_arn: ROLE_B, region: 'eu-west-1', authorized: true, authorized_at: '2026-01-01T00:01:00.000Z' };
const ROLE_A = 'arn:aws:iam::210987654321:role/eks-cluster-role';

const OPTIONS = {
  kubernetes_versions: [{ version: '1.30', default: false }, { version: '1.31', default: true }],
  instance_types: [{ name: 't3.medium', default: false }, { name: 'm5.large', default: true }],
  key_pairs: [{ name: 'nodes', id: 'key-0a' }],
  vpcs: [{ id: 'vpc-0a1b', name: 'main', cidr_block: '10.0.0.0/16', default: false }],
  roles: [{ name: 'eks-cluster-role', arn: ROLE_A }, { name: 'other', arn: 'arn:aws:iam::210987654321:role/other' }],
  subnets: [
    { id: 'subnet-0a', name: 'a', vpc_id: 'vpc-0a1b', availability_zone: 'eu-west-1a', cidr_block: '10.0.1.0/24' },
    { id: 'subnet-0b', name: 'b', vpc_id: 'vpc-0a1b', availability_zone: 'eu-west-1b', cidr_block: '10.0.2.0/24' },
  ],
  security_groups: [{ id: 'sg-0c', name: 'control-plane', vpc_id: 'vpc-0a1b', description: 'EKS' }],
};

function describedBy(element: HTMLElement): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

function optionRoutes(overrides: Record<string, unknown> = {}) {
  const routes: Record<string, unknown> = {};
  for (const [list, body] of Object.entries(OPTIONS)) {
    const path = list === 'subnets' || list === 'security_groups' ? `GET ${BASE}/4/options/${list}?vpc_id=vpc-0a1b` : `GET ${BASE}/4/options/${list}`;
    routes[path] = overrides[list] ?? { body };
  }
  return routes as Record<string, { body: unknown }>;
}

describe('Create a cluster on Amazon EKS', () => {
  test('starting shows the Account ID and the External ID to create role B with, and keeps the request in the URL', async () => {
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      [`POST ${BASE}`]: { status: 201, body: REQUEST },
      [`GET ${BASE}/4`]: { body: REQUEST },
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters/new?provider=aws');
    await user.click(await screen.findByRole('button', { name: 'Get the Account ID and External ID' }));
    expect((await screen.findByTestId('eks-external-id')).textContent).toBe(EXTERNAL_ID);
    expect(screen.getByTestId('eks-account-id').textContent).toBe('123456789012');
    expect(screen.getByTestId('location').textContent).toBe('/platform/clusters/-/clusters/new?provider=aws&request_id=4');
    expect(api.requests.find((r) => r.method === 'POST')!.headers['x-csrf-token']).toBe(TEST_CSRF);
    // Role B's policy is there to copy, and nothing else is asked before authenticating.
    expect(screen.getByLabelText('Policy for role B').textContent).toContain('"ec2:DescribeSecurityGroups"');
    expect(screen.getByLabelText(/Role ARN/)).toBeTruthy();
    expect(screen.queryByLabelText('Kubernetes cluster name')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Copy External ID' }));
    expect(await navigator.clipboard.readText()).toBe(EXTERNAL_ID);
  });

  test('a refused start says why (the integration is off)', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      [`POST ${BASE}`]: { status: 422, body: { message: 'the Amazon EKS integration is not enabled on this instance: an administrator sets eks_integration_enabled and eks_account_id with PUT /api/v4/application/settings' } },
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters/new?provider=aws');
    await user.click(await screen.findByRole('button', { name: 'Get the Account ID and External ID' }));
    expect((await screen.findByRole('alert')).textContent).toContain('the Amazon EKS integration is not enabled on this instance');
  });

  test('"Authenticate with AWS": an invalid role ARN and an AssumeRole refusal are shown beside the Role ARN, a bad region beside the region', async () => {
    const answers = [
      { status: 400, body: { message: 'Validation failed: Role ARN must be a valid Amazon Resource Name (role_arn, the provision role (role B): "gitlab-eks-provision" is not one); check the ARN you copied, e.g. arn:aws:iam::123456789012:role/gitlab-eks-provision' } },
      { status: 400, body: { message: 'region must be an AWS region name, e.g. eu-west-1' } },
      { status: 422, body: { message: `Access denied: User arn:aws:iam::123456789012:user/kubegate is not authorized to perform: sts:AssumeRole on resource: ${ROLE_B}. Check that 1) …` } },
    ];
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      [`GET ${BASE}/4`]: { body: REQUEST },
      [`POST ${BASE}/4/authorize`]: () => answers.shift()!,
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters/new?provider=aws&request_id=4');
    const roleArn = await screen.findByLabelText(/Role ARN/);
    const region = screen.getByLabelText(/Cluster region/);
    await user.type(roleArn, 'gitlab-eks-provision');
    await user.type(region, 'eu-west-1');
    await user.click(screen.getByRole('button', { name: 'Authenticate with AWS' }));
    await waitFor(() => expect(describedBy(roleArn)).toContain('Validation failed: Role ARN must be a valid Amazon Resource Name'));
    expect(describedBy(roleArn)).toContain('e.g. arn:aws:iam::123456789012:role/gitlab-eks-provision');
    expect(roleArn.getAttribute('aria-invalid')).toBe('true');

    await user.click(screen.getByRole('button', { name: 'Authenticate with AWS' }));
    await waitFor(() => expect(describedBy(region)).toContain('region must be an AWS region name'));
    expect(roleArn.getAttribute('aria-invalid')).toBeNull();

    await user.clear(roleArn);
    await user.type(roleArn, ROLE_B);
    await user.click(screen.getByRole('button', { name: 'Authenticate with AWS' }));
    await waitFor(() => expect(describedBy(roleArn)).toContain('is not authorized to perform: sts:AssumeRole on resource'));
    expect(api.requests.filter((r) => r.method === 'POST').at(-1)!.body).toEqual({ role_arn: ROLE_B, region: 'eu-west-1' });
    expect(screen.queryByLabelText('Kubernetes cluster name')).toBeNull();
  });

  test('once authenticated, the form offers the lists from AWS; a list that cannot be loaded says why beside its field', async () => {
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      [`GET ${BASE}/4`]: { body: REQUEST },
      [`POST ${BASE}/4/authorize`]: { body: AUTHORIZED },
      ...optionRoutes({
        security_groups: {
          status: 422,
          body: { message: 'Could not load Security Groups for this VPC (vpc-0a1b): AWS answered AccessDenied: not authorized to perform: ec2:DescribeSecurityGroups. Kubegate assumed the role, but the role lacks the permissions the form needs: give it document 003\'s policy (ec2:DescribeSecurityGroups)' },
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters/new?provider=aws&request_id=4');
    await user.type(await screen.findByLabelText(/Role ARN/), ROLE_B);
    await user.type(screen.getByLabelText(/Cluster region/), 'eu-west-1');
    await user.click(screen.getByRole('button', { name: 'Authenticate with AWS' }));
    await screen.findByText(/Authenticated as/);

    const version = (await screen.findByLabelText(/Kubernetes version/)) as HTMLSelectElement;
    await waitFor(() => expect(version.value).toBe('1.31'));
    const instance = screen.getByLabelText(/Instance type/) as HTMLSelectElement;
    await waitFor(() => expect(instance.value).toBe('m5.large'));
    const roleA = screen.getByLabelText(/Service role/) as HTMLSelectElement;
    await waitFor(() => expect([...roleA.options].map((o) => o.textContent)).toEqual(['Choose the service role (role A)', 'eks-cluster-role', 'other']));
    const keyPair = screen.getByLabelText(/Key pair name/) as HTMLSelectElement;
    await waitFor(() => expect([...keyPair.options].map((o) => o.value)).toEqual(['', 'nodes']));
    // Lists of a VPC wait for one.
    expect(within(screen.getByRole('group', { name: /Subnets/ })).getByText('Choose a VPC first')).toBeTruthy();
    expect((screen.getByLabelText(/Security group/) as HTMLSelectElement).disabled).toBe(true);
    expect(api.requests.some((r) => r.path.includes('/options/subnets'))).toBe(false);

    await user.selectOptions(screen.getByLabelText(/^VPC/), 'vpc-0a1b');
    const subnets = await screen.findByRole('group', { name: /Subnets/ });
    await within(subnets).findByLabelText(/subnet-0a \(eu-west-1a, 10\.0\.1\.0\/24\)/);
    const securityGroup = screen.getByLabelText(/Security group/);
    await waitFor(() => expect(describedBy(securityGroup)).toContain('Could not load Security Groups for this VPC (vpc-0a1b): AWS answered AccessDenied'));
    expect(securityGroup.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('button', { name: 'Load security groups again' })).toBeTruthy();
  });

  test("submitting: each refusal beside its field, then the cluster's page", async () => {
    const answers = [
      { status: 400, body: { message: 'provider_aws_attributes.subnet_ids must list at least two subnets: EKS needs subnets in two availability zones' } },
      {
        status: 422,
        body: { message: `The provided role doesn't have the Amazon EKS Managed Policies associated with it. The service role ${ROLE_A} (role A) needs the AmazonEKSClusterPolicy managed policy…` },
      },
      { status: 201, body: { id: 31, name: 'production' } },
    ];
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      [`GET ${BASE}/4`]: { body: AUTHORIZED },
      ...optionRoutes(),
      [`POST ${BASE}/4/clusters`]: () => answers.shift()!,
      'GET /projects/platform%2Fclusters/clusters/31': { status: 404, body: { message: '404 Cluster Not Found' } },
    });
    const user = userEvent.setup();
    renderApp('/platform/clusters/-/clusters/new?provider=aws&request_id=4');
    await user.type(await screen.findByLabelText(/Kubernetes cluster name/), 'production');
    await user.selectOptions(await screen.findByLabelText(/Service role/), ROLE_A);
    await waitFor(() => expect((screen.getByLabelText(/Key pair name/) as HTMLSelectElement).options.length).toBe(2));
    await user.selectOptions(screen.getByLabelText(/Key pair name/), 'nodes');
    await user.selectOptions(screen.getByLabelText(/^VPC/), 'vpc-0a1b');
    await user.click(await screen.findByLabelText(/subnet-0a /));
    await waitFor(() => expect((screen.getByLabelText(/Security group/) as HTMLSelectElement).options.length).toBe(2));
    await user.selectOptions(screen.getByLabelText(/Security group/), 'sg-0c');
    await user.clear(screen.getByLabelText(/Number of nodes/));
    await user.type(screen.getByLabelText(/Number of nodes/), '2');
    await user.click(screen.getByLabelText('GitLab-managed cluster'));

    await user.click(screen.getByRole('button', { name: 'Create Kubernetes cluster' }));
    const subnets = screen.getByRole('group', { name: /Subnets/ });
    await waitFor(() => expect(describedBy(subnets)).toContain('provider_aws_attributes.subnet_ids must list at least two subnets'));
    expect(api.requests.filter((r) => r.method === 'POST').at(-1)!.body).toEqual({
      name: 'production',
      environment_scope: '*',
      managed: false,
      provider_aws_attributes: { role_arn: ROLE_A, kubernetes_version: '1.31', key_name: 'nodes', vpc_id: 'vpc-0a1b', subnet_ids: ['subnet-0a'], security_group_id: 'sg-0c', instance_type: 'm5.large', num_nodes: 2 },
    });

    await user.click(within(subnets).getByLabelText(/subnet-0b /));
    await user.click(screen.getByRole('button', { name: 'Create Kubernetes cluster' }));
    await waitFor(() => expect(describedBy(screen.getByLabelText(/Service role/))).toContain("The provided role doesn't have the Amazon EKS Managed Policies associated with it."));

    await user.click(screen.getByRole('button', { name: 'Create Kubernetes cluster' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/platform/clusters/-/clusters/31'));
  });
});
