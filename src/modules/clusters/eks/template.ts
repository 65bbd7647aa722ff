/**
 * The CloudFormation template shipped in the repository (`cloudformation/eks_cluster.yaml`)
 * and the form choices it defines: the Kubernetes versions and instance types the form
 * offers are its parameters' allowed values, so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** From src/modules/clusters/eks/ and dist/modules/clusters/eks/ alike. */
export const TEMPLATE_URL = new URL('../../../../cloudformation/eks_cluster.yaml', import.meta.url);

export interface EksTemplate {
  body: string;
  kubernetesVersions: string[];
  defaultKubernetesVersion: string;
  instanceTypes: string[];
  defaultInstanceType: string;
}

interface Parameter {
  Default?: unknown;
  AllowedValues?: unknown[];
}

export function loadTemplate(url: URL = TEMPLATE_URL): EksTemplate {
  const body = readFileSync(url, 'utf8');
  // `!Ref`, `!Sub`… are CloudFormation's tags; only the parameters are read here.
  const doc = parse(body, { logLevel: 'silent' }) as { Parameters?: Record<string, Parameter> };
  const version = doc.Parameters?.KubernetesVersion;
  const instance = doc.Parameters?.NodeInstanceType;
  if (!version?.AllowedValues || !instance?.AllowedValues) throw new Error(`${url.pathname} lacks the allowed values of KubernetesVersion and NodeInstanceType`);
  return {
    body,
    kubernetesVersions: version.AllowedValues.map(String),
    defaultKubernetesVersion: String(version.Default),
    instanceTypes: instance.AllowedValues.map(String),
    defaultInstanceType: String(instance.Default),
  };
}
