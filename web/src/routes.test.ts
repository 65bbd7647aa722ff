import { describe, expect, test } from 'vitest';
import { paths, resolveRoute } from './routes';

describe('routes', () => {
  test('GitLab-shaped URLs name their page, with nested project paths', () => {
    expect(resolveRoute('/')).toEqual({ page: 'home' });
    expect(resolveRoute('/users/sign_in')).toEqual({ page: 'signIn' });
    expect(resolveRoute('/groups/platform/team')).toEqual({ page: 'group', path: 'platform/team' });
    expect(resolveRoute('/groups/platform/-/group_members')).toEqual({ page: 'groupMembers', path: 'platform' });
    expect(resolveRoute('/platform/team/clusters')).toEqual({ page: 'project', path: 'platform/team/clusters' });
    expect(resolveRoute('/platform/clusters/-/clusters')).toEqual({ page: 'clusters', path: 'platform/clusters' });
    expect(resolveRoute('/platform/clusters/-/clusters/connect')).toEqual({ page: 'connectCluster', path: 'platform/clusters' });
    expect(resolveRoute('/platform/clusters/-/cluster_agents/prod')).toEqual({ page: 'agent', path: 'platform/clusters', agentName: 'prod' });
    expect(resolveRoute('/platform/clusters/-/clusters/new')).toEqual({ page: 'newEksCluster', path: 'platform/clusters' });
    expect(resolveRoute('/platform/clusters/-/clusters/12')).toEqual({ page: 'certificateCluster', path: 'platform/clusters', clusterId: 12 });
    expect(resolveRoute('/platform/clusters/-/clusters/012')).toEqual({ page: 'notFound' });
    expect(resolveRoute('/admin/application_settings/general')).toEqual({ page: 'adminSettings' });
    expect(resolveRoute('/platform/clusters/-/unknown')).toEqual({ page: 'notFound' });
  });

  test('a blob URL keeps a ref with a slash apart from the file path', () => {
    const url = paths.blob('platform/clusters', 'feature/x', '.gitlab/agents/prod/config.yaml', 4);
    expect(url).toBe('/platform/clusters/-/blob/feature%2Fx/.gitlab/agents/prod/config.yaml#L4');
    expect(resolveRoute(url.split('#')[0]!)).toEqual({ page: 'blob', path: 'platform/clusters', ref: 'feature/x', filePath: '.gitlab/agents/prod/config.yaml' });
  });

  test('every builder gives back the route it was built for', () => {
    const p = 'a/b.c/d_e';
    expect(resolveRoute(paths.project(p))).toEqual({ page: 'project', path: p });
    expect(resolveRoute(paths.projectMembers(p))).toEqual({ page: 'projectMembers', path: p });
    expect(resolveRoute(paths.clusters(p).split('?')[0]!)).toEqual({ page: 'clusters', path: p });
    expect(resolveRoute(paths.addCertificateCluster(p))).toEqual({ page: 'addCertificateCluster', path: p });
    expect(resolveRoute(paths.group(p))).toEqual({ page: 'group', path: p });
    expect(resolveRoute(paths.newEksCluster(p, 4).split('?')[0]!)).toEqual({ page: 'newEksCluster', path: p });
    expect(resolveRoute(paths.certificateCluster(p, 31))).toEqual({ page: 'certificateCluster', path: p, clusterId: 31 });
    expect(resolveRoute(paths.adminSettings())).toEqual({ page: 'adminSettings' });
    expect(resolveRoute(paths.agent(p, 'my-agent', { tab: 'activity', job_id: '9', page: 2 }).split('?')[0]!)).toEqual({ page: 'agent', path: p, agentName: 'my-agent' });
  });

  test('filters and pages are kept in the query string', () => {
    expect(paths.agent('g/p', 'prod', { tab: 'activity', job_id: '42', page: 3 })).toBe('/g/p/-/cluster_agents/prod?tab=activity&job_id=42&page=3');
    expect(paths.clusters('g/p', 'certificate_based')).toBe('/g/p/-/clusters?tab=certificate_based');
    expect(paths.projects(1)).toBe('/dashboard/projects');
    expect(paths.newEksCluster('g/p')).toBe('/g/p/-/clusters/new?provider=aws');
    expect(paths.newEksCluster('g/p', 7)).toBe('/g/p/-/clusters/new?provider=aws&request_id=7');
  });
});
