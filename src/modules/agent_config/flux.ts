/**
 * The `flux` section (DESIGN.md §6, document 004). Only `webhook_receiver_url` is read:
 * an http(s) URL the agent can reach, or a Kubernetes service proxy path that the agent
 * calls through the API server with its own credentials.
 */
import { describeValue, formatPath, isMapping, quote } from './describe.js';
import { reportType } from './fields.js';
import { isDnsLabel } from './kubernetes_names.js';
import { warnUnknownKeys } from './keys.js';
import type { Reporter } from './report.js';
import type { AgentConfig } from './types.js';

const FLUX_KEYS = ['webhook_receiver_url'] as const;
const PATH = ['flux', 'webhook_receiver_url'] as const;

/** `/api/v1/namespaces/<ns>/services/<[scheme:]name[:port]>/proxy`, optionally with a trailing `/`. */
const SERVICE_PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy\/?$/;
const SERVICE_REF = /^(?:(https?):)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?::([a-z0-9][-a-z0-9]*))?$/;

export function readFlux(value: unknown, reporter: Reporter): AgentConfig['flux'] {
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    reportType(reporter, ['flux'], 'a mapping (for example with "webhook_receiver_url")', value);
    return {};
  }
  warnUnknownKeys(value, ['flux'], FLUX_KEYS, reporter);
  const url = value.webhook_receiver_url;
  // Empty means "the default receiver", as in GitLab.
  if (url === undefined || url === null || url === '') return {};
  if (typeof url !== 'string') {
    reportType(reporter, PATH, 'a string (an http(s) URL or a service proxy path)', url);
    return {};
  }
  const problem = webhookUrlProblem(url);
  if (problem !== undefined) {
    reporter.error(PATH, `${formatPath(PATH)} ${quote(url)} ${problem}`);
    return {};
  }
  return { webhook_receiver_url: url };
}

/** Why `url` cannot be a webhook receiver base URL, or undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
  if (url.startsWith('/')) return serviceProxyProblem(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return (
      'is neither an http(s) URL nor a service proxy path; write a URL such as ' +
      '"http://webhook-receiver.flux-system.svc.cluster.local" or a path such as ' +
      '"/api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy".'
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must use http or https, not ${describeValue(parsed.protocol.slice(0, -1))}.`;
  if (parsed.hostname === '') return 'has no host name.';
  // The agent appends `/hook/<digest>` to it: a query or fragment would end up in the wrong place.
  if (parsed.search !== '' || parsed.hash !== '') return 'must not have a query (?…) or fragment (#…): the agent appends /hook/<id> to it.';
  return undefined;
}

function serviceProxyProblem(path: string): string | undefined {
  const match = SERVICE_PROXY.exec(path);
  if (!match) {
    return 'is a path but not a service proxy path; write "/api/v1/namespaces/<namespace>/services/<[scheme:]service[:port]>/proxy".';
  }
  const [, namespace, service] = match as unknown as [string, string, string];
  if (!isDnsLabel(namespace)) return `has ${quote(namespace)} as namespace, which is not a valid Kubernetes namespace name.`;
  if (!SERVICE_REF.test(service)) return `has ${quote(service)} as service; write it as name, name:port or scheme:name:port (for example "http:webhook-receiver:80").`;
  return undefined;
}
