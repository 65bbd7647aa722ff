/**
 * Wires the chart repository (`/-/charts/`) and gives the agents API the install command
 * it answers with each new token.
 */
import { readFileSync } from 'node:fs';
import type { KubegateServer } from './app.js';
import type { ServerConfig } from './config.js';
import { createChartRepository, installInstructions, registerChartRoutes, type ChartRepository, type InstallInstructions } from '../modules/charts/server.js';
import { caToAdvertise } from './tls_trust.js';
import { VERSION } from '../lib/version.js';

export interface ChartWiring {
  repository: ChartRepository;
  /** The install command for an agent and its new token (`caCertFile`: where the person keeps the server's CA). */
  installInstructions(agentName: string, token: string, options: { caCertFile?: string | undefined; releaseName?: string | undefined; namespace?: string | undefined }): InstallInstructions;
}

export async function wireCharts(app: KubegateServer, serverCa: () => string | null = () => serverCaToAdvertise(app.config)): Promise<ChartWiring> {
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

/**
 * The CA clients must be given to trust this server: the last certificate of a private
 * chain; null for plain HTTP or a publicly trusted chain. The install command takes the CA
 * from here only.
 */
export function serverCaToAdvertise(config: Pick<ServerConfig, 'tlsCert'>): string | null {
  return config.tlsCert ? caToAdvertise(readFileSync(config.tlsCert, 'utf8')) : null;
}
