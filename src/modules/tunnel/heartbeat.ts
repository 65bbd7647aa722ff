import type WebSocket from 'ws';

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
 * nothing at all (pong, ping or data) has been heard for `timeoutMs`. Both sides run it,
 * so a half-dead TCP connection (NAT entry expired, peer frozen) is dropped on both ends
 * and the agent reconnects instead of waiting for the kernel's keep-alive hours later.
 * Stops by itself when the socket closes.
 */
export function startHeartbeat(ws: WebSocket, options: HeartbeatOptions): void {
  let lastHeard = Date.now();
  const heard = function heard(): void {
    lastHeard = Date.now();
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
    if (Date.now() - lastHeard >= options.timeoutMs) {
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
