/**
 * The recommended installation command shown with a new agent token.
 *
 * PLACEHOLDER until issue 10: the server will compute the exact Helm command (chart
 * repository, release name and namespace, image tag, the CA when the server's is
 * private) and return it from the REST API; this page must then show that answer
 * verbatim and this function goes. Until then it is made from what the API already
 * says: `GET /api/v4/version`'s `kas.externalUrl` and `version`.
 */
import type { VersionInfo } from '../../api/types';

export const CHART_REPOSITORY_NAME = 'kubegate';
export const CHART_NAME = 'kubegate-agent';

/** `wss://host:8080/-/kubernetes-agent/` → `https://host:8080` (the server the chart repository is on). */
export function serverOrigin(kasAddress: string): string {
  const url = new URL(kasAddress);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

export function helmInstallCommand(input: { agentName: string; token: string; version: VersionInfo }): string {
  const kas = input.version.kas.externalUrl;
  const namespace = `gitlab-agent-${input.agentName}`;
  return [
    `helm repo add ${CHART_REPOSITORY_NAME} ${serverOrigin(kas)}/-/charts`,
    'helm repo update',
    `helm upgrade --install ${input.agentName} ${CHART_REPOSITORY_NAME}/${CHART_NAME} \\`,
    `    --namespace ${namespace} \\`,
    '    --create-namespace \\',
    `    --set image.tag=${input.version.version} \\`,
    `    --set config.token=${input.token} \\`,
    `    --set config.kasAddress=${kas}`,
  ].join('\n');
}
