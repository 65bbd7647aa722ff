/**
 * The composition root of `kubegate agent`: connect to the cluster's API, dial the server,
 * serve the server's requests through the tunnel, until SIGTERM.
 */
import https from 'node:https';
import http from 'node:http';
import type { Logger } from 'pino';
import { createLogger } from '../lib/log.js';
import { VERSION } from '../lib/version.js';
import { runTunnelAgent, type AgentInfo } from '../modules/tunnel/agent.js';
import { createKubeProxyHandler } from '../modules/kube_proxy/agent.js';
import type { AgentConfig } from './config.js';
import { inClusterConnection, kubeconfigConnection, type KubeConnection } from './kube_connection.js';
import { createAgentMetrics, startObservability } from './observability.js';

/** How often the agent re-asks its cluster for the Kubernetes version. */
export const KUBE_VERSION_REFRESH_MS = 5 * 60_000;

export async function runAgent(config: AgentConfig, signal: AbortSignal, logger: Logger = createLogger('kubegate-agent')): Promise<void> {
  const kube = config.kubeconfig ? kubeconfigConnection(config.kubeconfig) : inClusterConnection(config.serviceAccountDir);
  logger.info({ kubernetes: kube.server, source: kube.source, kasAddress: config.kasAddress, version: VERSION.version, pod: config.podName, namespace: config.podNamespace }, 'kubegate agent starting');

  let kubernetesVersion = '';
  const refreshVersion = async () => {
    try {
      kubernetesVersion = await fetchKubernetesVersion(kube);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, `cannot read the Kubernetes version from ${kube.server}; check the agent's credentials and network`);
    }
  };
  await refreshVersion();
  const versionTimer = setInterval(refreshVersion, KUBE_VERSION_REFRESH_MS);
  versionTimer.unref();

  const metrics = createAgentMetrics();
  let connected = 0;
  const observability = config.observability
    ? await startObservability(config.observability, { connected: () => connected > 0 }, metrics)
    : undefined;
  if (observability) logger.info({ address: observability.address() }, 'observability endpoints listening (/liveness, /readiness, /metrics)');

  const info = (): AgentInfo => ({
    version: VERSION.version,
    commit: VERSION.commit,
    podName: config.podName,
    podNamespace: config.podNamespace,
    kubernetesVersion,
  });

  signal.addEventListener(
    'abort',
    function announceStop() {
      logger.info({ gracePeriodMs: config.shutdownGraceMs }, `stopping: no new requests; requests in flight may finish within ${config.shutdownGraceMs / 1000} s`);
    },
    { once: true },
  );
  try {
    await runTunnelAgent(
      {
        kasAddress: config.kasAddress,
        token: config.token,
        ...(config.caCert ? { caCert: config.caCert } : {}),
        transport: config.tunnelTransport,
        shutdownGraceMs: config.shutdownGraceMs,
        handler: createKubeProxyHandler(kube, logger, { maxLongStreams: config.maxLongStreams, podName: config.podName }),
        info,
        logger,
        onConnected: () => metrics.connections.set(++connected),
        onDisconnected: () => metrics.connections.set((connected = Math.max(0, connected - 1))),
      },
      signal,
    );
  } finally {
    clearInterval(versionTimer);
    observability?.close();
  }
  logger.info('kubegate agent stopped');
}

/** `GET /version` of the cluster, e.g. `v1.32.1`. */
export function fetchKubernetesVersion(kube: KubeConnection): Promise<string> {
  const url = new URL('/version', kube.server);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (kube.bearerToken) headers.authorization = `Bearer ${kube.bearerToken()}`;
  const options = {
    headers,
    timeout: 10_000,
    ...(url.protocol === 'https:'
      ? { ca: kube.ca, cert: kube.clientCert, key: kube.clientKey, rejectUnauthorized: !kube.insecureSkipTlsVerify }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(url, options, function readVersion(res) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET /version answered ${res.statusCode}`));
        try {
          resolve(String((JSON.parse(body) as { gitVersion?: string }).gitVersion ?? ''));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
