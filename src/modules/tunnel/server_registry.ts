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

  /** Why `pick` found nothing: the agent's open connections are all at their stream limit. */
  allBusy(agentId: number): { connections: number; maxStreams: number } | undefined {
    const open = this.forAgent(agentId).filter((c) => !c.closed && !c.session.destroyed && !c.session.closed);
    if (open.length === 0 || open.some(hasStreamRoom)) return undefined;
    return { connections: open.length, maxStreams: open[0]!.maxStreams ?? 0 };
  }

  forAgent(agentId: number): readonly ServerConnection[] {
    return this.#byAgent.get(agentId) ?? [];
  }

  all(): ServerConnection[] {
    return [...this.#byAgent.values()].flat();
  }

  /**
   * The connection a new request should use: `connectionId` when given (and live), else
   * the least-loaded one known to be alive, ties broken round robin; only when no
   * connection is alive, the least-loaded suspect one (it may recover). `exclude` is left
   * out (a retry goes elsewhere). Undefined when none is usable.
   */
  pick(agentId: number, connectionId?: number, exclude?: ServerConnection): ServerConnection | undefined {
    const usable = this.forAgent(agentId).filter((c) => c !== exclude && isUsable(c));
    if (connectionId !== undefined) return usable.find((c) => c.connectionId === connectionId);
    const alive = usable.filter((c) => c.state === 'alive');
    const list = alive.length > 0 || exclude ? alive : usable;
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
  return !conn.closed && !conn.session.destroyed && !conn.session.closed && hasStreamRoom(conn);
}

/** Below the pod's SETTINGS_MAX_CONCURRENT_STREAMS: a stream past it would wait in a queue. */
export function hasStreamRoom(conn: ServerConnection): boolean {
  return conn.maxStreams === undefined || conn.activeStreams < conn.maxStreams;
}
