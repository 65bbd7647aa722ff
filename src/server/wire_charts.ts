/**
 * Wires the chart repository (`/-/charts/`) and gives the agents API the install command
 * it answers with each new token.
 */
import type { KubegateServer } from './app.js';
import { createChartRepository, installInstructions, registerChartRoutes, type ChartRepository, type InstallInstructions } from '../modules/charts/server.js';
import { VERSION } from '../lib/version.js';

export interface ChartWiring {
  repository: ChartRepository;
  /** The install command for an agent and its new token (`caCertFile`: where the person keeps the server's CA). */
  installInstructions(agentName: string, token: string, options: { caCertFile?: string | undefined; releaseName?: string | undefined; namespace?: string | undefined }): InstallInstructions;
}

/** `serverCa`: the CA clients must trust (`app.trust`, the server's one answer), or null. */
export async function wireCharts(app: KubegateServer, serverCa: () => string | null = () => app.trust.caPem): Promise<ChartWiring> {
  const repository = await createChartRepository({ version: VERSION.version });
  registerChartRoutes(app.api, repository);
  return {
    repository,
    installInstructions(agentName, token, options) {
      // Read at each call: the external URL and the certificate may change while running.
      return installInstructions({ externalUrl: app.config.externalUrl, agentName, token, version: VERSION.version, caCert: serverCa(), ...options });
    },
  };
}
