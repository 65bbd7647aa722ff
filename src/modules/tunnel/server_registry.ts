import type { ServerConnection } from './server_connection.js';

/**
 * The live connections of this server process, by agent. Several pods of one agent (and
 * reconnects that overlap the old connection) give several entries per agent.
 */
export class ConnectionRegistry {
  readonly #byAgent = new Map<number, ServerConnection[]>();
  /** Rotates the starting point of `pick`, so equal loads take turns. */
  #turn = 0;

  add(conn: ServerConnection): void {
    const list = this.#byAgent.get(conn.agentId);
    if (list) list.push(conn);
    else this.#byAgent.set(conn.agentId, [conn]);
  }

  remove(conn: ServerConnection): void {
    const list = this.#byAgent.get(conn.agentId);
    if (!list) return;
    const rest = list.filter((c) => c !== conn);
    if (rest.length === 0) this.#byAgent.delete(conn.agentId);
    else this.#byAgent.set(conn.agentId, rest);
  }

  forAgent(agentId: number): readonly ServerConnection[] {
    return this.#byAgent.get(agentId) ?? [];
  }

  all(): ServerConnection[] {
    return [...this.#byAgent.values()].flat();
  }

  /**
   * The connection a new request should use: `connectionId` when given (and live), else
   * the least-loaded one, ties broken round robin. Undefined when none is usable.
   */
  pick(agentId: number, connectionId?: number): ServerConnection | undefined {
    const list = this.forAgent(agentId).filter(isUsable);
    if (connectionId !== undefined) return list.find((c) => c.connectionId === connectionId);
    if (list.length === 0) return undefined;
    const start = this.#turn++ % list.length;
    let best: ServerConnection | undefined;
    for (let i = 0; i < list.length; i++) {
      const conn = list[(start + i) % list.length]!;
      if (!best || conn.activeStreams < best.activeStreams) best = conn;
    }
    return best;
  }
}

function isUsable(conn: ServerConnection): boolean {
  return !conn.closed && !conn.session.destroyed && !conn.session.closed;
}
