/**
 * The chart repository (DESIGN §7): the server packs `charts/kubegate-agent` at its own
 * version when it starts and serves it as a Helm chart repository at `/-/charts/`, so
 * `helm repo add` needs nothing but the server. Also the one place that writes the install
 * command. This is the module's whole server-side surface.
 */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AGENT_CHART_NAME, CHARTS_PATH } from './defaults.js';
import { packageChart, type ChartPackage } from './package.js';
import { repositoryIndex } from './repository_index.js';

export { installInstructions, type InstallCommandInput, type InstallInstructions } from './install_command.js';
export { CHARTS_PATH, AGENT_CHART_NAME, DEFAULT_CA_CERT_FILE, RELEASE_NAME_PATTERN, NAMESPACE_PATTERN, MAX_RELEASE_NAME_LENGTH, MAX_NAMESPACE_LENGTH } from './defaults.js';
export type { ChartPackage, ChartMetadata } from './package.js';

/** `charts/kubegate-agent` of the package: src/modules/charts/ and dist/modules/charts/ are both three levels down. */
export const AGENT_CHART_DIR = fileURLToPath(new URL(`../../../charts/${AGENT_CHART_NAME}`, import.meta.url));

export interface ChartRepository {
  /** The packaged agent chart (version = appVersion = the server's version). */
  readonly chart: ChartPackage;
  /** The repository's `index.yaml`. */
  readonly index: string;
}

export interface ChartRepositoryDeps {
  /** The server's version: the chart's version and appVersion. */
  version: string;
  /** Default: the chart shipped with this package. */
  chartDir?: string;
  now?: () => Date;
}

/** Packs the chart once; throws (with the way out) when the package's chart is missing or broken. */
export async function createChartRepository(deps: ChartRepositoryDeps): Promise<ChartRepository> {
  const chart = await packageChart(deps.chartDir ?? AGENT_CHART_DIR, deps.version);
  return { chart, index: repositoryIndex(chart, (deps.now ?? (() => new Date()))()) };
}

/**
 * `GET /-/charts/index.yaml` and `GET /-/charts/<chart>-<version>.tgz`, anonymous like any
 * public chart repository (the chart holds no secret; the token is a value given at install).
 */
export function registerChartRoutes(app: FastifyInstance, repository: ChartRepository): void {
  const { chart, index } = repository;
  const sendIndex = async function sendChartIndex(_request: unknown, reply: FastifyReply) {
    return reply.header('Content-Type', 'application/yaml; charset=utf-8').header('Cache-Control', 'no-cache').send(index);
  };
  app.get(`${CHARTS_PATH}/index.yaml`, sendIndex);
  app.get(CHARTS_PATH, sendIndex);
  app.get<{ Params: { file: string } }>(`${CHARTS_PATH}/:file`, async function sendChart(request, reply) {
    if (request.params.file === '') return sendIndex(request, reply);
    if (request.params.file !== chart.filename) {
      return reply.status(404).send({ message: `404 Not Found: this chart repository holds ${chart.filename} only (see ${CHARTS_PATH}/index.yaml)` });
    }
    return reply
      .header('Content-Type', 'application/gzip')
      .header('Content-Disposition', `attachment; filename="${chart.filename}"`)
      .header('ETag', `"${chart.digest}"`)
      .header('Cache-Control', 'no-cache')
      .send(chart.archive);
  });
}
