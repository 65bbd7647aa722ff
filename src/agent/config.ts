/**
 * `kubegate agent` settings from flags and environment (CONTRACT.md), validated once.
 * The token is read here and removed from the environment, so child processes and crash
 * dumps never see it.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseListen } from '../lib/listen.js';
import { SHUTDOWN_GRACE_MS, TUNNEL_TRANSPORTS, type TunnelTransport } from '../modules/tunnel/agent.js';
import { SERVICE_ACCOUNT_DIR } from './kube_connection.js';
import { DEFAULT_MAX_LONG_STREAMS } from '../modules/kube_proxy/agent_limits.js';

/** Past this many, one pod's streams would exceed what one tunnel connection carries (HTTP2_MAX_CONCURRENT_STREAMS). */
const MAX_LONG_STREAMS_CEILING = 2_000;

export interface AgentFlags {
  kasAddress?: string | undefined;
  tokenFile?: string | undefined;
  kasCaCertFile?: string | undefined;
  kubeconfig?: string | undefined;
  observabilityListen?: string | undefined;
  tunnelTransport?: string | undefined;
  shutdownGracePeriod?: string | undefined;
  maxLongStreams?: string | undefined;
}

export interface AgentConfig {
  kasAddress: string;
  token: string;
  caCert: Buffer | undefined;
  kubeconfig: string | undefined;
  observability: { host: string; port: number } | undefined;
  podName: string;
  podNamespace: string;
  /** `auto` (HTTP/2 on the socket when the server agrees) or `websocket` (always frames). */
  tunnelTransport: TunnelTransport;
  /** After SIGTERM, how long requests in flight may finish before the connections close. */
  shutdownGraceMs: number;
  /** Where the pod's ServiceAccount token and CA are mounted (in-cluster mode). */
  serviceAccountDir: string;
  /** Long-lived requests (watch, logs -f, exec, port-forward) this pod carries at once. */
  maxLongStreams: number;
}

export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

export const DEFAULT_OBSERVABILITY_LISTEN = '127.0.0.1:8080';

export function agentConfig(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const kasAddress = flags.kasAddress ?? env.KUBEGATE_KAS_ADDRESS;
  if (!kasAddress) throw new AgentConfigError('--kas-address is required (or KUBEGATE_KAS_ADDRESS): the server\'s ws:// or wss://…/-/kubernetes-agent/ URL');
  let url: URL;
  try {
    url = new URL(kasAddress);
  } catch {
    throw new AgentConfigError(`--kas-address must be a ws:// or wss:// URL, not "${kasAddress}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new AgentConfigError(`--kas-address must start with ws:// or wss:// (got ${url.protocol}//); e.g. wss://kubegate.example.com/-/kubernetes-agent/`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';

  let token: string | undefined;
  // A file is how the chart passes it: a mounted Secret, never an environment variable.
  const tokenFile = flags.tokenFile ?? (env.KUBEGATE_AGENT_TOKEN_FILE || undefined);
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new AgentConfigError(`cannot read the agent token from ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (env.KUBEGATE_AGENT_TOKEN) {
    token = env.KUBEGATE_AGENT_TOKEN.trim();
  }
  // Whatever its source, the token leaves the environment now.
  delete env.KUBEGATE_AGENT_TOKEN;
  if (!token) throw new AgentConfigError('no agent token: pass --token-file FILE or set KUBEGATE_AGENT_TOKEN (or KUBEGATE_AGENT_TOKEN_FILE to a file holding it; create one with POST /projects/:id/cluster_agents/:agent_id/tokens)');

  const caFile = flags.kasCaCertFile ?? env.KUBEGATE_KAS_CA_CERT_FILE;
  let caCert: Buffer | undefined;
  if (caFile) {
    try {
      caCert = readFileSync(caFile);
    } catch (err) {
      throw new AgentConfigError(`cannot read --kas-ca-cert-file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!caCert.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) throw new AgentConfigError(`--kas-ca-cert-file ${caFile} is not a PEM certificate`);
  }

  const listen = flags.observabilityListen ?? env.KUBEGATE_OBSERVABILITY_LISTEN;
  const inPod = Boolean(env.KUBERNETES_SERVICE_HOST);
  const observabilityListen = listen ?? (inPod ? DEFAULT_OBSERVABILITY_LISTEN : undefined);
  let observability: AgentConfig['observability'];
  try {
    observability = observabilityListen ? parseListen(observabilityListen) : undefined;
  } catch {
    throw new AgentConfigError(`--observability-listen must be HOST:PORT, not "${observabilityListen}"`);
  }

  const transport = flags.tunnelTransport ?? (env.KUBEGATE_TUNNEL_TRANSPORT || 'auto');
  if (!(TUNNEL_TRANSPORTS as readonly string[]).includes(transport)) {
    throw new AgentConfigError(`--tunnel-transport must be ${TUNNEL_TRANSPORTS.join(' or ')}, not "${transport}"`);
  }

  const grace = flags.shutdownGracePeriod ?? (env.KUBEGATE_SHUTDOWN_GRACE_PERIOD || undefined);
  const shutdownGraceMs = grace === undefined ? SHUTDOWN_GRACE_MS : parseDuration(grace, '--shutdown-grace-period');
  const maxLongStreamsText = flags.maxLongStreams ?? env.KUBEGATE_AGENT_MAX_LONG_STREAMS ?? String(DEFAULT_MAX_LONG_STREAMS);
  const maxLongStreams = Number(maxLongStreamsText);
  if (!/^\d+$/.test(maxLongStreamsText) || maxLongStreams < 1 || maxLongStreams > MAX_LONG_STREAMS_CEILING) {
    throw new AgentConfigError(`--max-long-streams must be a whole number from 1 to ${MAX_LONG_STREAMS_CEILING}, not "${maxLongStreamsText}"`);
  }

  return {
    kasAddress: url.toString(),
    token,
    caCert,
    kubeconfig: flags.kubeconfig ?? (env.KUBECONFIG || undefined),
    observability,
    podName: env.POD_NAME || hostname(),
    podNamespace: env.POD_NAMESPACE || 'default',
    tunnelTransport: transport as TunnelTransport,
    shutdownGraceMs,
    serviceAccountDir: env.KUBEGATE_SERVICE_ACCOUNT_DIR || SERVICE_ACCOUNT_DIR,
    maxLongStreams,
  };
}

/** `25s`, `2m`, `1m30s`, `500ms` or plain seconds (`25`), as milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new AgentConfigError(`${flag} must be a duration such as 25s, 1m or 1m30s, not "${value}"`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (text.length === 0) throw new AgentConfigError(`${flag} must be a duration such as 25s, not empty`);
  return Math.round(total);
}
