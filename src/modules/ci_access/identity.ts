/**
 * The Kubernetes identity a proxied request runs as (DESIGN.md §4). The `gitlab:` prefixes
 * are kept on purpose: RBAC written for GitLab works unchanged.
 */
import type { AccessAs } from '../agent_config/types.js';
import type { Identity } from '../kube_proxy/shared.js';

export interface IdentityFacts {
  agentId: number;
  configProjectId: number;
  projectId: number;
  /** Ids of the groups above the project, from the root down. */
  groupIds: readonly number[];
  pipelineId: number;
  jobId: number;
  username: string;
  environment: { slug: string; tier: string } | null;
}

export function identityFor(accessAs: AccessAs, facts: IdentityFacts): Identity {
  if (accessAs.kind === 'agent') return { kind: 'agent' };
  if (accessAs.kind === 'impersonate') {
    const extra: Record<string, string[]> = {};
    for (const e of accessAs.extra) extra[e.key] = [...(extra[e.key] ?? []), ...e.val];
    return { kind: 'impersonate', username: accessAs.username, uid: accessAs.uid, groups: [...accessAs.groups], extra };
  }
  const env = facts.environment;
  const groups = ['gitlab:ci_job'];
  for (const id of facts.groupIds) {
    groups.push(`gitlab:group:${id}`);
    if (env) groups.push(`gitlab:group_env_tier:${id}:${env.tier}`);
  }
  groups.push(`gitlab:project:${facts.projectId}`);
  if (env) groups.push(`gitlab:project_env:${facts.projectId}:${env.slug}`, `gitlab:project_env_tier:${facts.projectId}:${env.tier}`);
  const extra: Record<string, string[]> = {
    'agent.gitlab.com/id': [String(facts.agentId)],
    'agent.gitlab.com/config_project_id': [String(facts.configProjectId)],
    'agent.gitlab.com/project_id': [String(facts.projectId)],
    'agent.gitlab.com/ci_pipeline_id': [String(facts.pipelineId)],
    'agent.gitlab.com/ci_job_id': [String(facts.jobId)],
    'agent.gitlab.com/username': [facts.username],
  };
  if (env) {
    extra['agent.gitlab.com/environment_slug'] = [env.slug];
    extra['agent.gitlab.com/environment_tier'] = [env.tier];
  }
  return { kind: 'impersonate', username: `gitlab:ci_job:${facts.jobId}`, groups, extra };
}
