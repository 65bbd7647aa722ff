import { afterEach, describe, expect, test, vi } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import { PROJECT, fakeApi, renderApp } from '../../test/render';
import { CLUSTER_POLL_MS } from './CertificateClusterPage';

const AT = '/platform/clusters/-/clusters/31';
const STACK = 'kubegate-31-production';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/0a1b`;

function eksCluster(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 31,
    name: 'production',
    domain: null,
    created_at: '2026-01-01T00:00:00.000Z',
    managed: true,
    enabled: true,
    provider_type: 'aws',
    platform_type: 'kubernetes',
    environment_scope: '*',
    cluster_type: 'project_type',
    user: { id: 2, name: 'Maint', username: 'maint', state: 'active' },
    platform_kubernetes: { api_url: status === 'created' ? 'https://abc.eks.example.com' : null, namespace: null, authorization_type: 'rbac', ca_cert: null },
    provider_gcp: null,
    provider_aws: {
      status_name: status,
      status_reason: null,
      region: 'eu-west-1',
      role_arn: 'arn:aws:iam::123456789012:role/eks-cluster-role',
      provision_role_arn: 'arn:aws:iam::123456789012:role/gitlab-eks-provision',
      kubernetes_version: '1.31',
      key_name: 'nodes',
      vpc_id: 'vpc-0a1b',
      subnet_ids: ['subnet-0a', 'subnet-0b'],
      security_group_id: 'sg-0c',
      instance_type: 'm5.large',
      num_nodes: 3,
      cluster_name: 'production',
      stack_name: STACK,
      stack_id: STACK_ID,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      ...extra,
    },
    management_project: null,
    project: { id: 7, name: 'Clusters', path: 'clusters', path_with_namespace: 'platform/clusters', web_url: 'http://kubegate.test/platform/clusters' },
  };
}

const event = (logical: string, type: string, status: string, reason: string | null = null) => ({
  timestamp: '2026-01-01T00:05:00.000Z',
  logical_resource_id: logical,
  resource_type: type,
  resource_status: status,
  resource_status_reason: reason,
  physical_resource_id: null,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a cluster's page", () => {
  test('creating: the stack events, followed without a reload until the cluster is created', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let status = 'creating';
    let events = [event('Cluster', 'AWS::EKS::Cluster', 'CREATE_IN_PROGRESS'), event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated')];
    const api = fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/clusters/31': () => ({ body: eksCluster(status) }),
      'GET /projects/platform%2Fclusters/clusters/31/stack_events': () => ({ body: { stack_name: STACK, stack_id: STACK_ID, status_name: status, events } }),
    });
    renderApp(AT);
    expect((await screen.findByText('Creating')).getAttribute('data-provision-status')).toBe('creating');
    const table = await screen.findByRole('table', { name: /Stack events/ });
    expect(within(table).getByRole('row', { name: /Cluster AWS::EKS::Cluster CREATE_IN_PROGRESS/ })).toBeTruthy();
    expect(screen.getByText('not known until the cluster is created')).toBeTruthy();

    status = 'created';
    events = [event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE'), event('Cluster', 'AWS::EKS::Cluster', 'CREATE_COMPLETE'), ...events];
    await act(() => vi.advanceTimersByTimeAsync(CLUSTER_POLL_MS));
    expect((await screen.findByText('Created')).getAttribute('data-provision-status')).toBe('created');
    expect(await screen.findByText('https://abc.eks.example.com')).toBeTruthy();
    expect(await within(screen.getByRole('table', { name: /Stack events/ })).findByRole('row', { name: /Cluster AWS::EKS::Cluster CREATE_COMPLETE/ })).toBeTruthy();

    // Created: no more polling.
    const reads = api.requests.filter((r) => r.path === '/projects/platform%2Fclusters/clusters/31').length;
    await act(() => vi.advanceTimersByTimeAsync(CLUSTER_POLL_MS * 3));
    expect(api.requests.filter((r) => r.path === '/projects/platform%2Fclusters/clusters/31').length).toBe(reads);
  });

  test('errored: the reason in words; events that cannot be read say why', async () => {
    const reason =
      'Creating the cluster stopped: CloudFormation stack kubegate-31-production is ROLLBACK_FAILED; resource Cluster (AWS::EKS::Cluster) failed: boom; Kubegate rolls nothing back: delete the stack…';
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/clusters/31': { body: eksCluster('errored', { status_reason: reason }) },
      'GET /projects/platform%2Fclusters/clusters/31/stack_events': {
        status: 422,
        body: { message: "the events of stack kubegate-31-production could not be read as arn:…: AccessDenied: …; add cloudformation:DescribeStackEvents to role B's policy (document 003's policy lacks it)" },
      },
    });
    renderApp(AT);
    expect((await screen.findByTestId('status-reason')).textContent).toBe(reason);
    expect(screen.getByText('Creating the cluster failed')).toBeTruthy();
    expect(await screen.findByText(/add cloudformation:DescribeStackEvents to role B's policy/)).toBeTruthy();
  });

  test('an added cluster: its settings, no AWS sections', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/clusters/31': {
        body: { ...eksCluster('created'), provider_type: 'user', provider_aws: null, platform_kubernetes: { api_url: 'https://k8s.example.com', namespace: 'shop', authorization_type: 'rbac', ca_cert: null } },
      },
    });
    renderApp(AT);
    expect(await screen.findByText('https://k8s.example.com')).toBeTruthy();
    expect(screen.getByText('Existing cluster')).toBeTruthy();
    expect(screen.queryByRole('table', { name: /Stack events/ })).toBeNull();
    expect(screen.queryByText(/Creation on Amazon EKS/)).toBeNull();
  });
});

describe('the certificate-based clusters tab', () => {
  test('each cluster links to its page; an EKS cluster shows how its creation goes; EKS creation is offered', async () => {
    fakeApi({
      'GET /projects/platform%2Fclusters': { body: PROJECT },
      'GET /projects/platform%2Fclusters/clusters?per_page=100': { body: [eksCluster('creating')] },
    });
    renderApp('/platform/clusters/-/clusters?tab=certificate_based');
    const row = await screen.findByRole('row', { name: /production/ });
    expect(within(row).getByRole('link', { name: 'production' }).getAttribute('href')).toBe(AT);
    expect(within(row).getByText('Creating').getAttribute('data-provision-status')).toBe('creating');
    expect(within(row).getByText('not yet')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create cluster on Amazon EKS' }).getAttribute('href')).toBe('/platform/clusters/-/clusters/new?provider=aws');
  });
});
