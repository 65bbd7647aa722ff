/**
 * The things `bench/tunnel.ts` measures, each started on loopback in this process: raw
 * TCP, HTTP/2 over raw TCP, the tunnel on each of its transports (HTTP/2 directly on the
 * socket, negotiated; HTTP/2 inside WebSocket frames), and the first prototype of the
 * tunnel (`ws.createWebSocketStream` with Node's default HTTP/2 settings), kept as the
 * "before".
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws';
import { pino } from 'pino';
import { startTestAgent, startTestServer, waitFor } from '../src/modules/tunnel/testing.js';
import { HTTP2_SESSION_OPTIONS, widenConnectionWindow } from '../src/modules/tunnel/shared.js';

const BULK_CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
const SMALL_BODY = Buffer.from('{"kind":"Status","apiVersion":"v1","status":"Success","message":"a small answer of about 100 bytes"}');

/** Something that answers `GET /bulk?bytes=N` and `GET /small`; `get` resolves with the body. */
export interface HttpTarget {
  name: string;
  get(path: string): Promise<Readable>;
  close(): Promise<void>;
}

/** The agent-side handler every HTTP/2 target serves. */
export function benchHandler(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const url = new URL(req.url, 'http://bench');
  if (url.pathname === '/small') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(SMALL_BODY);
    return;
  }
  sendBulk(res, Number(url.searchParams.get('bytes')));
}

function sendBulk(out: NodeJS.WritableStream & { writeHead?: (s: number) => unknown; once(e: 'drain', f: () => void): unknown }, size: number): void {
  out.writeHead?.(200);
  let sent = 0;
  const pump = function pump(): void {
    while (sent < size) {
      const n = Math.min(BULK_CHUNK.length, size - sent);
      sent += n;
      if (!out.write(n === BULK_CHUNK.length ? BULK_CHUNK : BULK_CHUNK.subarray(0, n))) {
        out.once('drain', pump);
        return;
      }
    }
    out.end();
  };
  pump();
}

/** Raw loopback TCP: the server writes `size` bytes and closes. */
export async function rawTcpDownload(size: number): Promise<number> {
  const server = net.createServer((socket) => sendBulk(socket, size));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = process.hrtime.bigint();
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  await new Promise((resolve) => socket.on('end', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  server.close();
  if (received !== size) throw new Error(`raw TCP received ${received} of ${size} bytes`);
  return seconds;
}

function http2ClientTarget(name: string, session: http2.ClientHttp2Session, close: () => Promise<void>): HttpTarget {
  return {
    name,
    get(path) {
      return new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path });
        stream.once('response', () => resolve(stream));
        stream.once('error', reject);
      });
    },
    close,
  };
}

/** HTTP/2 over raw loopback TCP, with the tunnel's HTTP/2 settings. */
export async function startHttp2Tcp(): Promise<HttpTarget> {
  const server = http2.createServer(HTTP2_SESSION_OPTIONS, benchHandler);
  server.on('session', (s) => s.on('connect', () => widenConnectionWindow(s)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, HTTP2_SESSION_OPTIONS);
  session.on('connect', () => widenConnectionWindow(session));
  return http2ClientTarget('HTTP/2 over TCP', session, async () => {
    session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
}

/**
 * How the tunnel runs: `h2` is the default (`--tunnel-transport auto` against this
 * server: HTTP/2 directly on the socket); `websocket` is HTTP/2 inside unmasked WebSocket
 * frames (`--tunnel-transport websocket` over `wss://`); `masked` forces random masking
 * (the `ws://` default for frames).
 */
export type TunnelVariant = 'h2' | 'websocket' | 'masked';

const TUNNEL_VARIANT_NAMES: Record<TunnelVariant, string> = {
  h2: 'tunnel, HTTP/2 on the socket',
  websocket: 'tunnel, WebSocket frames',
  masked: 'tunnel, masked frames (ws:// default)',
};

/** The tunnel: `createTunnelServer` behind an `http.Server`, `runTunnelAgent` serving the handler. */
export async function startTunnel(variant: TunnelVariant): Promise<HttpTarget> {
  const server = await startTestServer();
  const agent = startTestAgent({
    kasAddress: server.url,
    handler: benchHandler,
    transport: variant === 'h2' ? 'auto' : 'websocket',
    unmaskedFrames: variant !== 'masked',
    logger: pino({ level: 'silent' }),
  });
  await waitFor(() => server.tunnel.isConnected(1), 'the bench agent to connect');
  const transport = server.tunnel.connections(1)[0]!.transport;
  if (transport !== (variant === 'h2' ? 'h2' : 'websocket')) throw new Error(`the bench tunnel runs on ${transport}, not ${variant}`);
  return {
    name: TUNNEL_VARIANT_NAMES[variant],
    async get(path) {
      return (await server.tunnel.request(1, { method: 'GET', path })).body;
    },
    async close() {
      await agent.stop();
      await server.close();
    },
  };
}

/** The prototype DESIGN §5 mentions: `createWebSocketStream` and default HTTP/2 settings. */
export async function startPrototype(): Promise<HttpTarget> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  let session: http2.ClientHttp2Session | undefined;
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const duplex = createWebSocketStream(ws);
      session = http2.connect('http://agent', { createConnection: () => duplex as unknown as net.Socket });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agentServer = http2.createServer(benchHandler);
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      agentServer.emit('connection', createWebSocketStream(ws));
      resolve();
    });
    ws.once('error', reject);
  });
  await waitFor(() => session !== undefined, 'the prototype session');
  return http2ClientTarget('prototype (createWebSocketStream)', session!, async () => {
    session!.destroy();
    ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}
