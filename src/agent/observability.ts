/**
 * The agent's `/liveness`, `/readiness` and `/metrics` (Prometheus). Ready means at least
 * one tunnel connection to the server is up, so Kubernetes can tell a disconnected pod.
 */
import http from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface AgentHealth {
  connected(): boolean;
}

export function createAgentMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kubegate_agent_' });
  const connections = new Gauge({ name: 'kubegate_agent_tunnel_connections', help: 'Tunnel connections to the server that are up', registers: [registry] });
  return { registry, connections };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

export async function startObservability(listen: { host: string; port: number }, health: AgentHealth, metrics: AgentMetrics): Promise<http.Server> {
  const server = http.createServer(function observe(req, res) {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/liveness') return answer(res, 200, 'ok\n');
    if (path === '/readiness') return health.connected() ? answer(res, 200, 'ok\n') : answer(res, 503, 'not connected to the server\n');
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => answer(res, 200, text, metrics.registry.contentType),
        () => answer(res, 500, 'metrics unavailable\n'),
      );
      return;
    }
    answer(res, 404, 'not found: try /liveness, /readiness or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return server;
}

function answer(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
