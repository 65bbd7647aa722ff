// Port-forward: over SPDY (client opens an `error` and a `data` stream per
// connection, paired by `requestID`, with a `port` header) — directly or
// tunnelled in WebSocket binary messages — and over the older WebSocket
// channel protocol (`?ports=`; channels 2i data / 2i+1 error, each opened by
// a 2-byte little-endian port number). Each connection dials the pod port's
// target: one set by the test, or the echo server.

import { connect } from 'node:net';
import type { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import type { SimContext } from '../context.js';
import type { RequestInfo } from '../http/request-info.js';
import { SpdyConnection, type SpdyStream } from '../spdy/connection.js';

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForwardSpdy(ctx: SimContext, info: RequestInfo, transport: SpdyConnection | Duplex): void {
  const conn = transport instanceof SpdyConnection ? transport : new SpdyConnection(transport);
  const pairs = new Map<string, Pair>();
  const onShutdown = (): void => conn.close();
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  conn.on('close', () => ctx.shutdown.removeEventListener('abort', onShutdown));

  conn.on('stream', function onPortForwardStream(stream) {
    const type = stream.headers.streamtype;
    const requestId = stream.headers.requestid ?? stream.headers.port ?? '';
    const pair = pairs.get(requestId) ?? {};
    pairs.set(requestId, pair);
    if (type === 'error') {
      pair.error = stream;
      // The client half-closes the error stream at once; we only write to it.
      stream.resume();
    } else if (type === 'data') pair.data = stream;
    else {
      stream.reset();
      return;
    }
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      forward(ctx, info, Number(stream.headers.port), pair.data, pair.error);
    }
  });
}

function forward(ctx: SimContext, info: RequestInfo, port: number, data: SpdyStream, error: SpdyStream): void {
  const target = ctx.targets.podPort(info.namespace, info.name, port);
  const socket = connect(target.port, target.host);
  let failed = false;
  socket.on('connect', () => {
    data.pipe(socket);
    socket.pipe(data);
  });
  socket.on('error', (err) => {
    if (failed) return;
    failed = true;
    // The kubelet's wording; kubectl prints it as "an error occurred forwarding …".
    const uid = ctx.objects.find(ctx.registry.byResource('', 'v1', 'pods')!, info.namespace, info.name)?.metadata.uid ?? '';
    error.write(Buffer.from(`error forwarding port ${port} to pod ${info.namespace}/${info.name}, uid ${uid}: ${err.message}`));
    error.end();
    data.end();
  });
  socket.on('close', () => {
    if (!error.writableEnded) error.end();
    if (!data.writableEnded) data.end();
  });
  data.on('close', () => socket.destroy());
}

export function servePortForwardWebSocketChannels(ctx: SimContext, info: RequestInfo, url: URL, ws: WebSocket): void {
  const ports = url.searchParams.getAll('ports').flatMap((p) => p.split(',')).map(Number).filter((p) => p > 0);
  const sockets = ports.map((port, i) => {
    const target = ctx.targets.podPort(info.namespace, info.name, port);
    const socket = connect(target.port, target.host);
    const prefix = (channel: number): Buffer => Buffer.from([channel]);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    ws.send(Buffer.concat([prefix(2 * i), portBytes]));
    ws.send(Buffer.concat([prefix(2 * i + 1), portBytes]));
    socket.on('data', (chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([prefix(2 * i), chunk]));
    });
    socket.on('error', (err) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([prefix(2 * i + 1), Buffer.from(err.message)]));
    });
    socket.on('close', () => ws.close(1000));
    return socket;
  });
  ws.on('message', (data: Buffer) => {
    const channel = data[0]!;
    if (channel % 2 === 0) sockets[channel / 2]?.write(data.subarray(1));
  });
  ws.on('close', () => {
    for (const s of sockets) s.destroy();
  });
}
