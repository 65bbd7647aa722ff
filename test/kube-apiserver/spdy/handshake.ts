// Accepts `Upgrade: SPDY/3.1` on a raw socket: 101 response with the
// negotiated X-Stream-Protocol-Version, then a SPDY session on the socket.

import type { Duplex } from 'node:stream';
import { SpdyConnection } from './connection.js';

export function acceptSpdy(socket: Duplex, head: Buffer, protocol: string, shutdown: AbortSignal): SpdyConnection {
  socket.write(
    ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${protocol}`, '', ''].join('\r\n'),
  );
  const conn = new SpdyConnection(socket);
  if (head.length > 0) socket.unshift(head);
  const onShutdown = (): void => {
    socket.destroy();
  };
  shutdown.addEventListener('abort', onShutdown, { once: true });
  conn.on('close', () => shutdown.removeEventListener('abort', onShutdown));
  return conn;
}
