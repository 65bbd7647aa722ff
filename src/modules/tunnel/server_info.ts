import { z } from 'zod';
import type { Logger } from 'pino';
import type { ServerConnection } from './server_connection.js';
import { sendRequest } from './server_request.js';
import { AGENT_INFO_PATH, TUNNEL_CONTROL_HEADER, type AgentInfo } from './shared.js';

const field = z.string().max(253).catch('');
const agentInfoSchema = z.object({
  version: field,
  commit: field,
  podName: field,
  podNamespace: field,
  kubernetesVersion: field,
});

/** Largest info answer read (it is a few hundred bytes). */
const MAX_INFO_BYTES = 16 * 1024;

/**
 * Re-reads the agent's info every `intervalMs` while the connection lives: the
 * Kubernetes version changes under a running agent when its cluster is upgraded, and the
 * agent may learn it only after connecting. `onChange` gets the new info when it differs.
 */
export function startInfoRefresh(
  conn: ServerConnection,
  intervalMs: number,
  logger: Logger,
  onChange: (info: AgentInfo) => void,
): void {
  const timer = setInterval(function refreshAgentInfo() {
    fetchAgentInfo(conn).then(
      (info) => {
        if (!conn.closed && !sameInfo(info, conn.info)) onChange(info);
      },
      (err: unknown) => logger.debug({ err, connectionId: conn.connectionId }, 'could not refresh the agent info'),
    );
  }, intervalMs);
  timer.unref();
  conn.onClosed(function stopInfoRefresh() {
    clearInterval(timer);
  });
}

async function fetchAgentInfo(conn: ServerConnection): Promise<AgentInfo> {
  const response = await sendRequest(conn, { method: 'GET', path: AGENT_INFO_PATH, headers: { [TUNNEL_CONTROL_HEADER]: '1' }, signal: AbortSignal.timeout(10_000) });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INFO_BYTES) {
      response.body.destroy();
      throw new Error('the agent info answer is too large');
    }
    chunks.push(chunk);
  }
  if (response.status !== 200) throw new Error(`the agent answered ${response.status} to the info request`);
  return agentInfoSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
}

function sameInfo(a: AgentInfo, b: AgentInfo): boolean {
  return (
    a.version === b.version &&
    a.commit === b.commit &&
    a.podName === b.podName &&
    a.podNamespace === b.podNamespace &&
    a.kubernetesVersion === b.kubernetesVersion
  );
}
