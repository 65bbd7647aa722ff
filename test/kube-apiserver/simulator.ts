// Composition root: builds the store, auth, controllers, pod runtime and the
// HTTPS server, and exposes the test-facing API (KubeApiSimulator).

import { randomBytes } from 'node:crypto';
import { AppliedConfigurations } from './api/applied.js';
import { setMaxListeners } from 'node:events';
import { ObjectService } from './api/objects.js';
import { ResourceRegistry, splitApiVersion } from './api/resources.js';
import { notFound } from './api/status.js';
import { ObjectStore } from './api/store.js';
import type { KubeObject } from './api/types.js';
import { getTlsMaterial } from './api/certs.js';
import { bootstrapPolicy } from './auth/bootstrap-policy.js';
import { RbacAuthorizer } from './auth/rbac.js';
import { TokenAuthenticator } from './auth/tokens.js';
import type { RequestRecord, SimContext } from './context.js';
import { fluxCrds, startCrdController } from './controllers/crds.js';
import { startDeploymentController } from './controllers/deployments.js';
import { startTokenController } from './controllers/sa-tokens.js';
import { createRequestHandler } from './http/handler.js';
import { listenKubeHttpServer } from './http/server.js';
import { NODE_NAME, PodRuntime } from './pods/runtime.js';
import { ProxyTargets } from './streams/targets.js';
import { StreamTracker } from './streams/tracker.js';
import type { KubeApiServerOptions, KubeApiSimulator } from './simulator-types.js';
import { createUpgradeHandler } from './streams/upgrade.js';
import { RequestHolds } from './http/holds.js';

/**
 * The real API server's limit of concurrent streams per HTTP/2 connection since the
 * HTTP/2 "rapid reset" fixes (CVE-2023-44487): 100. A client needs more connections for
 * more streams, which is what the simulator makes clients do too.
 */
export const DEFAULT_HTTP2_MAX_STREAMS = 100;

function defaultNamespaces(): KubeObject[] {
  return ['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiSimulator> {
  const tls = await getTlsMaterial();
  const store = new ObjectStore();
  const registry = new ResourceRegistry();
  const objects = new ObjectService(store, registry);
  const tokens = new TokenAuthenticator();
  const rbac = new RbacAuthorizer(store);
  const targets = new ProxyTargets();
  await targets.start();
  const pods = new PodRuntime(store, { startDelayMs: options.podStartDelayMs ?? 50, tickIntervalMs: options.podLogIntervalMs ?? 1000 });
  const shutdown = new AbortController();
  // Every open stream (watch, logs -f, exec…) listens for the shutdown: hundreds are normal.
  setMaxListeners(0, shutdown.signal);
  const requests: RequestRecord[] = [];
  const streams = new StreamTracker();
  const holds = new RequestHolds();
  const ctx: SimContext = { store, registry, objects, applied: new AppliedConfigurations(), tokens, rbac, pods, targets, requests, streams, holds, shutdown: shutdown.signal };

  const stopCrds = startCrdController(store, registry);
  const stopDeployments = startDeploymentController(store, objects, registry);
  const stopTokens = startTokenController(store, tokens, tls.caCert);

  function defFor(apiVersion: string, kind: string) {
    const def = registry.byKind(apiVersion, kind);
    if (!def) throw notFound(splitApiVersion(apiVersion).group, kind, '');
    return def;
  }

  function apply(obj: KubeObject): KubeObject {
    const def = defFor(obj.apiVersion, obj.kind);
    const existing = objects.find(def, obj.metadata.namespace, obj.metadata.name!);
    if (!existing) return objects.create(def, obj);
    return objects.update(def, { ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion } });
  }

  for (const ns of defaultNamespaces()) apply(ns);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
  }
  apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.3' } } });
  apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443 }] } });
  for (const obj of bootstrapPolicy()) apply(obj);
  if (options.fluxCrds !== false) for (const crd of fluxCrds()) apply(crd);

  const adminToken = options.adminToken ?? `admin-${randomBytes(16).toString('hex')}`;
  tokens.add(adminToken, { username: 'kubernetes-admin', groups: ['system:masters'] });

  const http = await listenKubeHttpServer(
    tls,
    options.port ?? 0,
    { http2: options.http2 ?? true, maxConcurrentStreams: options.http2MaxConcurrentStreams ?? DEFAULT_HTTP2_MAX_STREAMS },
    createRequestHandler(ctx),
    createUpgradeHandler(ctx),
  );
  const port = http.port;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caCert: tls.caCert,
    adminToken,
    get requests() {
      return requests;
    },
    get echoTarget() {
      return targets.echoTarget;
    },
    addToken: (token, user) => tokens.add(token, user),
    removeToken: (token) => tokens.remove(token),
    setTokenWebhook: (webhook) => tokens.setWebhook(webhook),
    serviceAccountToken(namespace, name) {
      if (!store.get('/namespaces', undefined, namespace)) apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      const sa = store.get('/serviceaccounts', namespace, name) ?? apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      return tokens.serviceAccountToken(namespace, name, sa.metadata.uid);
    },
    apply,
    get(apiVersion, kind, namespace, name) {
      const def = defFor(apiVersion, kind);
      const obj = objects.find(def, namespace, name);
      return obj && objects.present(def, obj, splitApiVersion(apiVersion).version);
    },
    list(apiVersion, kind, namespace) {
      const def = defFor(apiVersion, kind);
      return objects.list(def, namespace).map((o) => objects.present(def, o, splitApiVersion(apiVersion).version));
    },
    delete(apiVersion, kind, namespace, name) {
      objects.delete(defFor(apiVersion, kind), namespace, name);
    },
    waitForPodRunning(namespace, name, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const pod = store.get('/pods', namespace, name);
          const phase = (pod?.status as { phase?: string } | undefined)?.phase;
          if (pod && phase && phase !== 'Pending') {
            cleanup();
            resolve(pod);
            return true;
          }
          return false;
        };
        const unsubscribe = store.subscribe(() => void check());
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`pod ${namespace}/${name} did not start within ${timeoutMs} ms`));
        }, timeoutMs);
        function cleanup(): void {
          unsubscribe();
          clearTimeout(timer);
        }
        check();
      });
    },
    appendLog(namespace, pod, line, container) {
      pods.container(namespace, pod, container).logs.appendLine(line);
    },
    setPortTarget: (namespace, pod, port, target) => targets.setPodPort(namespace, pod, port, target),
    setServiceTarget: (namespace, service, target, port) => targets.setService(namespace, service, target, port),
    userForToken(token) {
      try {
        return tokens.authenticate({ headers: { authorization: `Bearer ${token}` } } as never);
      } catch {
        return undefined;
      }
    },
    openStreams: () => streams.snapshot(),
    holdRequests: (match) => holds.add(match),
    http2Sessions: () => http.http2Sessions(),
    clearRequests() {
      requests.length = 0;
    },
    async close() {
      shutdown.abort();
      stopDeployments();
      stopTokens();
      stopCrds();
      pods.close();
      await http.close();
      await targets.close();
    },
  };
}
