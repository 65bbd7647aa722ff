/**
 * The `index.yaml` of a Helm chart repository holding one packaged chart. Chart URLs are
 * relative: helm resolves them against the URL the repository was added with, so the
 * repository works under whatever host name a person reaches the server by.
 */
import { stringify } from 'yaml';
import type { ChartPackage } from './package.js';

export function repositoryIndex(chart: ChartPackage, generated: Date): string {
  const { metadata } = chart;
  const entry = {
    apiVersion: metadata.apiVersion,
    name: metadata.name,
    version: metadata.version,
    appVersion: metadata.appVersion,
    ...(metadata.description ? { description: metadata.description } : {}),
    ...(metadata.type ? { type: metadata.type } : {}),
    ...(metadata.kubeVersion ? { kubeVersion: metadata.kubeVersion } : {}),
    ...(metadata.keywords ? { keywords: metadata.keywords } : {}),
    created: generated.toISOString(),
    digest: chart.digest,
    urls: [chart.filename],
  };
  return stringify({ apiVersion: 'v1', entries: { [metadata.name]: [entry] }, generated: generated.toISOString() });
}
