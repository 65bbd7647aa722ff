import type { Http2Session } from 'node:http2';
import type WebSocket from 'ws';

/**
 * How much of one late tick counts as the peer's silence, in heartbeat intervals. A tick
 * that fires late means our own event loop (or the whole process) was stalled: a GC
 * pause, a busy CPU. The peer could not be heard while we were not reading, so the stall
 * beyond this share is not held against it.
 */
const MAX_TICK_SILENCE_INTERVALS = 1.5;

/**
 * Peer silence measured in our own running time: the time between ticks with nothing heard,
 * each tick counting at most `MAX_TICK_SILENCE_INTERVALS` intervals. A peer that is really
 * gone is still dropped after `timeoutMs` of ticks; a stall of our own process is not a
 * reason to drop every connection it holds.
 */
export class SilenceClock {
  private silentMs = 0;
  private lastTick: number;
  private readonly maxTickMs: number;

  constructor(
    intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTick = now();
    this.maxTickMs = intervalMs * MAX_TICK_SILENCE_INTERVALS;
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.silentMs = 0;
    this.lastTick = this.now();
  }

  /** A heartbeat tick: returns how long the peer has been silent so far (since the last
   * thing heard, or the last tick after it). */
  tick(): number {
    const now = this.now();
    this.silentMs += Math.min(Math.max(0, now - this.lastTick), this.maxTickMs);
    this.lastTick = now;
    return this.silentMs;
  }
}

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Called once when the peer has been silent for `timeoutMs`, just before the drop. */
  onTimeout?: () => void;
  /** Called on every pong: the peer is alive (the server uses it to keep info fresh). */
  onPong?: () => void;
}

/**
 * Keeps a tunnel WebSocket honest: pings every `intervalMs` and terminates the socket when
 * nothing at all (pong, ping or data) has been heard for `timeoutMs` (of our own running
 * time: see `SilenceClock`). Both sides run it,
 * so a half-dead TCP connection (NAT entry expired, peer frozen) is dropped on both ends
 * and the agent reconnects instead of waiting for the kernel's keep-alive hours later.
 * Stops by itself when the socket closes.
 */
export function startHeartbeat(ws: WebSocket, options: HeartbeatOptions): void {
  const silence = new SilenceClock(options.intervalMs);
  const heard = function heard(): void {
    silence.heard();
  };
  const onPong = function onPong(): void {
    heard();
    options.onPong?.();
  };
  ws.on('pong', onPong);
  ws.on('ping', heard);
  ws.on('message', heard);

  const timer = setInterval(function heartbeatTick() {
    if (ws.readyState !== ws.OPEN) return;
    if (silence.tick() >= options.timeoutMs) {
      options.onTimeout?.();
      ws.terminate();
      return;
    }
    ws.ping();
  }, options.intervalMs);
  timer.unref();

  ws.once('close', function stopHeartbeat() {
    clearInterval(timer);
    ws.off('pong', onPong);
    ws.off('ping', heard);
    ws.off('message', heard);
  });
}

export interface SessionHeartbeatOptions extends HeartbeatOptions {
  /** Ends the connection (session and socket) after a timeout. */
  drop: () => void;
}

/**
 * The same heartbeat for a tunnel that runs HTTP/2 directly on the socket (no WebSocket
 * to ping): an HTTP/2 PING every `intervalMs`, and a drop after `timeoutMs` without
 * hearing anything. "Anything" is a PING ack, a PING from the peer, or any byte read from
 * the socket (its `bytesRead` moved since the last tick), so a long transfer whose acks
 * queue behind data is never mistaken for silence. Stops when the session closes.
 */
export function startSessionHeartbeat(
  session: Http2Session,
  socket: { readonly bytesRead: number },
  options: SessionHeartbeatOptions,
): void {
  const silence = new SilenceClock(options.intervalMs);
  let lastBytesRead = socket.bytesRead;
  const heard = function heard(): void {
    silence.heard();
  };
  const acked = function acked(err: Error | null): void {
    if (err) return;
    heard();
    options.onPong?.();
  };
  session.on('ping', heard);

  const timer = setInterval(function sessionHeartbeatTick() {
    if (session.destroyed) {
      clearInterval(timer);
      return;
    }
    const bytesRead = socket.bytesRead;
    if (bytesRead !== lastBytesRead) {
      lastBytesRead = bytesRead;
      heard();
    }
    if (silence.tick() >= options.timeoutMs) {
      clearInterval(timer);
      options.onTimeout?.();
      options.drop();
      return;
    }
    if (session.closed) return;
    try {
      // False (not sent) when too many pings are unanswered: the timeout will decide.
      session.ping(acked);
    } catch {
      // The session is closing; the next tick sees it destroyed.
    }
  }, options.intervalMs);
  timer.unref();

  session.once('close', function stopSessionHeartbeat() {
    clearInterval(timer);
    session.off('ping', heard);
  });
}
