/**
 * The kubeconfig a CI job gets (DESIGN.md §4): one cluster (the server's Kubernetes
 * proxy), and per allowed agent a user `agent:<id>` with token `ci:<agent id>:<job token>`
 * and a context `<config project full path>:<agent name>`. A certificate-based cluster
 * that applies to the job adds the `gitlab-deploy` context, which is then current.
 */
import { stringify } from 'yaml';
import type { Grant } from './allowed.js';

export const PROXY_PATH = '/-/kubernetes-agent/k8s-proxy/';
export const CLUSTER_NAME = 'kubegate';
export const DEPLOY_CONTEXT = 'gitlab-deploy';

export interface DeployCluster {
  apiUrl: string;
  caCert: string | null;
  token: string;
  namespace: string;
}

export interface KubeconfigInput {
  externalUrl: string;
  /** PEM to trust for the server, when its certificate is not publicly trusted. */
  serverCa: string | null;
  jobToken: string;
  grants: readonly Grant[];
  deploy?: DeployCluster | null;
}

export function contextName(grant: Pick<Grant, 'configProject' | 'agent'>): string {
  return `${grant.configProject.fullPath}:${grant.agent.name}`;
}

export function buildKubeconfig(input: KubeconfigInput): string {
  const cluster: Record<string, string> = { server: `${input.externalUrl}${PROXY_PATH}` };
  if (input.serverCa) cluster['certificate-authority-data'] = Buffer.from(input.serverCa).toString('base64');
  const clusters: unknown[] = [{ name: CLUSTER_NAME, cluster }];
  const users: unknown[] = [];
  const contexts: unknown[] = [];
  for (const grant of input.grants) {
    const user = `agent:${grant.agent.id}`;
    users.push({ name: user, user: { token: `ci:${grant.agent.id}:${input.jobToken}` } });
    contexts.push({ name: contextName(grant), context: { cluster: CLUSTER_NAME, user, ...(grant.defaultNamespace ? { namespace: grant.defaultNamespace } : {}) } });
  }
  const config: Record<string, unknown> = { apiVersion: 'v1', kind: 'Config', clusters, users, contexts };
  if (input.deploy) {
    const deployCluster: Record<string, string> = { server: input.deploy.apiUrl };
    if (input.deploy.caCert) deployCluster['certificate-authority-data'] = Buffer.from(input.deploy.caCert).toString('base64');
    clusters.push({ name: DEPLOY_CONTEXT, cluster: deployCluster });
    users.push({ name: DEPLOY_CONTEXT, user: { token: input.deploy.token } });
    contexts.push({ name: DEPLOY_CONTEXT, context: { cluster: DEPLOY_CONTEXT, user: DEPLOY_CONTEXT, namespace: input.deploy.namespace } });
    config['current-context'] = DEPLOY_CONTEXT;
  }
  return stringify(config);
}
