/**
 * What happens once the stack is CREATE_COMPLETE (GitLab's FinalizeCreationService):
 * read the cluster's endpoint and CA from EKS, log in as role B (the cluster's creator,
 * whom EKS makes an administrator), let the nodes join (the `aws-auth` ConfigMap maps the
 * stack's node role), and create the `gitlab` service account with cluster-admin whose
 * token Kubegate keeps for jobs and GitLab-managed namespaces.
 */
import type { AwsApi, AwsSession } from './aws.js';
import { withKubeClient, type KubeClient } from '../kube_client.js';

export const ADMIN_SERVICE_ACCOUNT = 'gitlab';
export const ADMIN_SERVICE_ACCOUNT_NAMESPACE = 'default';
export const ADMIN_TOKEN_SECRET = 'gitlab-token';
export const ADMIN_CLUSTER_ROLE_BINDING = 'gitlab-admin';
const AWS_AUTH = { namespace: 'kube-system', name: 'aws-auth' };

export interface FinalizedCluster {
  apiUrl: string;
  caCert: string;
  token: string;
}

/** Thrown while the cluster is not ACTIVE yet: try again at the next poll. */
export class NotReadyYet extends Error {}

export async function finalizeCluster(aws: AwsApi, session: AwsSession, clusterName: string, nodeRoleArn: string | undefined, signal: AbortSignal): Promise<FinalizedCluster> {
  const eks = await aws.describeCluster(session, clusterName);
  if (eks.status !== 'ACTIVE' || !eks.endpoint) throw new NotReadyYet(`EKS cluster ${clusterName} is ${eks.status}`);
  const loginToken = await aws.eksToken(session, clusterName);
  const token = await withKubeClient({ apiUrl: eks.endpoint, caCert: eks.caCert || null, token: loginToken }, async function setUpCluster(kube) {
    if (nodeRoleArn) await mapNodeRole(kube, nodeRoleArn, signal);
    return createAdminServiceAccount(kube, signal);
  });
  return { apiUrl: eks.endpoint, caCert: eks.caCert, token };
}

/** Without this mapping the self-managed nodes cannot join the cluster. An existing map keeps its entries. */
async function mapNodeRole(kube: KubeClient, roleArn: string, signal: AbortSignal): Promise<void> {
  const entry = `- rolearn: ${roleArn}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n`;
  const path = `/api/v1/namespaces/${AWS_AUTH.namespace}/configmaps`;
  const created = await kube.ensure(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AWS_AUTH.name, namespace: AWS_AUTH.namespace }, data: { mapRoles: entry } }, signal);
  if (created) return;
  const current = await kube.get<{ data?: Record<string, string> }>(`${path}/${AWS_AUTH.name}`, signal);
  const mapRoles = current?.data?.mapRoles ?? '';
  if (mapRoles.includes(roleArn)) return;
  await kube.replace(`${path}/${AWS_AUTH.name}`, { ...current, data: { ...current?.data, mapRoles: `${mapRoles.trimEnd()}${mapRoles.trim() ? '\n' : ''}${entry}` } }, signal);
}

async function createAdminServiceAccount(kube: KubeClient, signal: AbortSignal): Promise<string> {
  const ns = ADMIN_SERVICE_ACCOUNT_NAMESPACE;
  await kube.ensure(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ADMIN_SERVICE_ACCOUNT, namespace: ns } }, signal);
  await kube.ensure(
    `/api/v1/namespaces/${ns}/secrets`,
    { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: ADMIN_TOKEN_SECRET, namespace: ns, annotations: { 'kubernetes.io/service-account.name': ADMIN_SERVICE_ACCOUNT } } },
    signal,
  );
  await kube.ensure(
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: ADMIN_CLUSTER_ROLE_BINDING },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: ADMIN_SERVICE_ACCOUNT, namespace: ns }],
    },
    signal,
  );
  return kube.secretToken(ns, ADMIN_TOKEN_SECRET, signal);
}
