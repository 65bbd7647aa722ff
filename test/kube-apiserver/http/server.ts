// The listening socket: HTTPS with ALPN h2 + http/1.1 like the real API
// server (kubectl speaks HTTP/2 to it for plain requests and HTTP/1.1 for
// upgrades), or HTTP/1.1 only. Upgrades always arrive on the HTTP/1.1 path.

import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TlsMaterial } from '../api/certs.js';

export interface KubeHttpServer {
  port: number;
  /** HTTP/2 connections open now. */
  http2Sessions(): number;
  close(): Promise<void>;
}

export interface HttpVersions {
  http2: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS announced on each HTTP/2 connection. */
  maxConcurrentStreams: number;
}

/** Per HTTP/2 connection, in MiB (Node's unit). */
const SESSION_MEMORY_MIB = 1024;

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export async function listenKubeHttpServer(tls: TlsMaterial, port: number, versions: HttpVersions, onRequest: RequestHandler, onUpgrade: UpgradeHandler): Promise<KubeHttpServer> {
  const { http2 } = versions;
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  let server: Server | Http2SecureServer;
  if (http2) {
    // No session memory cap worth the name: the real (Go) server blocks a stream's writer
    // when its client stops reading, where Node buffers and then refuses every new stream
    // of the connection (ENHANCE_YOUR_CALM) past `maxSessionMemory` (10 MB by default).
    const h2 = createSecureServer({
      key: tls.key,
      cert: tls.cert,
      allowHTTP1: true,
      settings: { maxConcurrentStreams: versions.maxConcurrentStreams },
      maxSessionMemory: SESSION_MEMORY_MIB,
    });
    // The compatibility API mirrors IncomingMessage/ServerResponse closely enough for our handlers.
    h2.on('request', onRequest as unknown as (req: unknown, res: unknown) => void);
    h2.on('session', (s) => {
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
    });
    h2.setTimeout(0);
    server = h2;
  } else {
    const h1 = createServer({ key: tls.key, cert: tls.cert });
    h1.on('request', onRequest);
    // Long-lived streams (watch, logs -f, port-forward) must not be cut by Node's default timeouts.
    h1.requestTimeout = 0;
    h1.headersTimeout = 60_000;
    h1.keepAliveTimeout = 30_000;
    server = h1;
  }
  server.on('upgrade', onUpgrade);
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    http2Sessions: () => sessions.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
