/**
 * Test helpers for the tunnel (used by the tests beside it and by the benchmarks): a
 * loopback server with the tunnel mounted, agents, a CONNECT proxy and a freezable relay.
 * Not part of the module's surface.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Writable, type Readable } from 'node:stream';
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import { createTunnelServer, type TunnelServer, type TunnelServerDeps, TUNNEL_PATH } from './server.js';
import { runTunnelAgent, type TunnelAgentOptions } from './agent.js';
import type { TunnelCarrierKind } from './shared.js';

/** A logger whose lines the test can read. */
export function memoryLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const text = (): string => chunks.join('');
  const lines = (): Array<Record<string, unknown>> =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, text };
}

export interface TestServer {
  tunnel: TunnelServer;
  http: http.Server | https.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP(S) server on 127.0.0.1 whose `upgrade` event feeds the tunnel, as the app will. */
export async function startTestServer(
  deps: Partial<TunnelServerDeps> & { port?: number; tls?: { key: string; cert: string } } = {},
): Promise<TestServer> {
  const tunnel = createTunnelServer({
    authenticate: deps.authenticate ?? (async () => ({ agentId: 1, tokenId: 1 })),
    logger: deps.logger ?? pino({ level: 'silent' }),
    ...(deps.heartbeatIntervalMs ? { heartbeatIntervalMs: deps.heartbeatIntervalMs } : {}),
    ...(deps.heartbeatTimeoutMs ? { heartbeatTimeoutMs: deps.heartbeatTimeoutMs } : {}),
    ...(deps.agentInfoRefreshMs ? { agentInfoRefreshMs: deps.agentInfoRefreshMs } : {}),
    ...(deps.rawTransport !== undefined ? { rawTransport: deps.rawTransport } : {}),
    ...(deps.pingAckTimeoutMs ? { pingAckTimeoutMs: deps.pingAckTimeoutMs } : {}),
    ...(deps.probeIdleMs !== undefined ? { probeIdleMs: deps.probeIdleMs } : {}),
    ...(deps.establishTimeoutMs ? { establishTimeoutMs: deps.establishTimeoutMs } : {}),
    ...(deps.frameTimeoutMs ? { frameTimeoutMs: deps.frameTimeoutMs } : {}),
  });
  const server = deps.tls ? https.createServer({ key: deps.tls.key, cert: deps.tls.cert }) : http.createServer();
  server.on('request', (_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', function onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer) {
    if (new URL(req.url ?? '/', 'http://x').pathname === TUNNEL_PATH) tunnel.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(deps.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const scheme = deps.tls ? 'wss' : 'ws';
  return {
    tunnel,
    http: server,
    port,
    url: `${scheme}://127.0.0.1:${port}${TUNNEL_PATH}`,
    async close() {
      tunnel.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TestAgent {
  stop(): Promise<void>;
  done: Promise<void>;
}

/** Runs `runTunnelAgent` with test-sized timers; `stop()` aborts it and waits. */
export function startTestAgent(options: Partial<TunnelAgentOptions> & Pick<TunnelAgentOptions, 'kasAddress'>): TestAgent {
  const controller = new AbortController();
  const done = runTunnelAgent(
    {
      token: 'test-token',
      handler: (_req, res) => res.end('ok'),
      info: { version: 'v1.0.0', commit: 'abc', podName: 'pod-a', podNamespace: 'ns', kubernetesVersion: 'v1.32.0' },
      logger: pino({ level: 'silent' }),
      proxy: null,
      minBackoffMs: 20,
      maxBackoffMs: 200,
      shutdownGraceMs: 200,
      ...options,
    },
    controller.signal,
  );
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Polls `predicate` until it holds; `what` names the wait when it never does. */
export async function waitFor(predicate: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A minimal HTTP CONNECT proxy; records the targets it was asked for. */
export async function startConnectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  server.on('connect', function onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer) {
    targets.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    linkSockets(sockets, client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A TCP relay to `targetPort` that can freeze: it stops moving bytes without closing
 * anything, like a dead NAT entry or a frozen peer.
 */
export async function startRelay(targetPort: number): Promise<{ port: number; freeze(): void; thaw(): void; close(): Promise<void> }> {
  let frozen = false;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer(function relay(client) {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      // A frozen relay passes nothing on, not even a close: each side must notice alone.
      if (frozen) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (frozen) {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    thaw() {
      frozen = false;
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One way to run the tunnel, for tests that must hold on every transport. */
export interface TransportCase {
  name: string;
  /** The carrier the server must report for the agent's connection. */
  expected: TunnelCarrierKind;
  server: Partial<TunnelServerDeps>;
  agent: Partial<TunnelAgentOptions>;
}

export const TRANSPORT_CASES: readonly TransportCase[] = [
  { name: 'HTTP/2 on the socket (negotiated)', expected: 'h2', server: {}, agent: { transport: 'auto' } },
  { name: 'WebSocket frames (--tunnel-transport websocket)', expected: 'websocket', server: {}, agent: { transport: 'websocket' } },
  { name: 'WebSocket frames (the server declines h2)', expected: 'websocket', server: { rawTransport: false }, agent: { transport: 'auto' } },
];

/** Runs a test once per transport (HTTP/2 on the socket, WebSocket frames), named after it. */
export function testEachTransport(name: string, fn: (transport: TransportCase) => Promise<void>): void {
  for (const transport of TRANSPORT_CASES) test(`${name} [${transport.name}]`, () => fn(transport));
}

/** A response body read to its end, as text. */
export async function bodyText(body: Readable): Promise<string> {
  let out = '';
  for await (const chunk of body) out += String(chunk);
  return out;
}

/**
 * Tracks a relay's two sockets in `sockets` (for `close()`), and destroys both when either
 * fails or, with `closeTogether`, closes.
 */
function linkSockets(sockets: Set<net.Socket>, client: net.Socket, upstream: net.Socket, options: { closeTogether?: boolean } = {}): void {
  const both = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', both);
    if (options.closeTogether) s.on('close', both);
  }
}

/**
 * A TCP relay like a proxy that understands WebSocket: it passes the HTTP handshake, then
 * checks that each direction starts with a WebSocket frame header (RSV bits clear, a
 * known opcode) and cuts the connection when not. HTTP/2 bytes after the 101 do not pass.
 */
export async function startFrameCheckingRelay(targetPort: number, options: { maxCuts?: number } = {}): Promise<{ port: number; cut: () => number; close(): Promise<void> }> {
  let cuts = 0;
  /** After this many cuts the relay passes anything (a path that broke once). */
  const maxCuts = options.maxCuts ?? Infinity;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(function relay(client) {
    const upstream = net.connect(targetPort, '127.0.0.1');
    linkSockets(sockets, client, upstream, { closeTogether: true });
    const direction = (from: net.Socket, to: net.Socket): void => {
      let buffered = Buffer.alloc(0);
      let state: 'headers' | 'first-frame' | 'open' = 'headers';
      from.on('data', (chunk: Buffer) => {
        if (state === 'open') {
          to.write(chunk);
          return;
        }
        buffered = Buffer.concat([buffered, chunk]);
        if (state === 'headers') {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          to.write(buffered.subarray(0, end + 4));
          buffered = buffered.subarray(end + 4);
          state = 'first-frame';
        }
        if (buffered.length === 0) return;
        if (cuts >= maxCuts) {
          state = 'open';
          to.write(buffered);
          return;
        }
        const first = buffered[0]!;
        const opcode = first & 0x0f;
        if ((first & 0x70) !== 0 || ![0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) {
          cuts++;
          client.destroy();
          upstream.destroy();
          return;
        }
        state = 'open';
        to.write(buffered);
      });
    };
    direction(client, upstream);
    direction(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => cuts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A WebSocket frame as a client sends it (masked; RFC 6455 §5.2). `declaredLength` may lie. */
export function clientFrame(payload: Buffer, options: { opcode?: number; declaredLength?: number } = {}): Buffer {
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [0x80 | (options.opcode ?? 0x2)];
  if (length < 126) head.push(0x80 | length);
  else if (length < 65536) head.push(0x80 | 126, length >> 8, length & 0xff);
  else {
    head.push(0x80 | 127);
    for (let i = 7; i >= 0; i--) head.push(Math.floor(length / 2 ** (8 * i)) & 0xff);
  }
  const mask = [0x11, 0x22, 0x33, 0x44];
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([...head, ...mask]), masked]);
}

/** HTTP/2 SETTINGS with no parameters: what an HTTP/2 server says first. */
export const EMPTY_HTTP2_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

/**
 * A hand-driven tunnel client: completes the WebSocket handshake with `token` (no
 * `kubegate-tunnel-h2`, so the server stays on WebSocket frames) and then sends exactly
 * what the test writes — a stand-in for a hung pod or a hostile peer.
 */
export async function rawTunnelClient(url: string, token: string, options: { ca?: string } = {}): Promise<{ socket: net.Socket; status: number; closed: Promise<void> }> {
  const target = new URL(url);
  const tls = target.protocol === 'wss:' || target.protocol === 'https:';
  const port = Number(target.port || (tls ? 443 : 80));
  const socket: net.Socket = tls
    ? (await import('node:tls')).connect({ host: target.hostname, port, ca: options.ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] })
    : net.connect(port, target.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(
    [
      `GET ${target.pathname.replace(/\/?$/, '/')} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${Buffer.from('kubegate-test-key').toString('base64').slice(0, 22)}==`,
      `Authorization: Bearer ${token}`,
      '',
      '',
    ].join('\r\n'),
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      // Bytes past the 101 (frames from the server) are not needed by these tests.
      resolve(text.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`the server closed the handshake: ${text}`)));
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  // Keep reading (and dropping) what the server sends, so its writes never block.
  socket.on('data', () => undefined);
  return { socket, status, closed };
}
