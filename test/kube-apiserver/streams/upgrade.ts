// Upgrade requests (exec, attach, portforward over WebSocket or SPDY/3.1)
// arrive on the raw `upgrade` event: the same filter chain runs, the pod and
// container are checked (errors are plain HTTP responses, before any
// upgrade), then the socket goes to the protocol handler.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { badRequest, toApiError } from '../api/status.js';
import type { SimContext } from '../context.js';
import { rawErrorResponse } from '../http/io.js';
import { identify, recordRequest, requestUrl } from '../http/pipeline.js';
import type { RequestInfo } from '../http/request-info.js';
import { acceptSpdy } from '../spdy/handshake.js';
import { servePortForwardSpdy, servePortForwardWebSocketChannels } from './portforward.js';
import { commandOptions, runAttach, runExec, type CommandOptions } from './remotecommand.js';
import { spdyCommandSession } from './spdy-remotecommand.js';
import type { StreamKind } from './tracker.js';
import { WS_REMOTECOMMAND_PROTOCOLS, websocketCommandStreams } from './ws-remotecommand.js';

export const PORTFORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
// `/` is not a token character, so the ws library refuses the real name in
// Sec-WebSocket-Protocol. We swap in a stand-in for negotiation and put the
// real name back into the 101 response headers.
const TUNNEL_STAND_IN = 'spdy-3.1-portforward.k8s.io';
const PORTFORWARD_WS_PROTOCOLS = ['v4.channel.k8s.io', 'portforward.k8s.io'];

const offered = new WeakMap<IncomingMessage, string[]>();

function chooseProtocol(requested: Set<string>, req: IncomingMessage): string | false {
  const supported = offered.get(req) ?? [];
  for (const p of requested) if (supported.includes(p)) return p;
  return false;
}

function validate(ctx: SimContext, info: RequestInfo, options: CommandOptions): void {
  if (info.apiGroup !== '' || info.resource !== 'pods' || !['exec', 'attach', 'portforward'].includes(info.subresource)) {
    throw badRequest(`upgrade requests are only supported for pods/exec, pods/attach and pods/portforward, not ${info.path}`);
  }
  const podDef = ctx.registry.byResource('', 'v1', 'pods')!;
  ctx.objects.get(podDef, info.namespace, info.name);
  if (info.subresource === 'portforward') {
    ctx.pods.pod(info.namespace, info.name);
    return;
  }
  if (info.subresource === 'exec' && options.command.length === 0) throw badRequest('you must specify at least 1 command');
  if (!options.stdin && !options.stdout && !options.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
  ctx.pods.runningContainer(info.namespace, info.name, options.container);
}

export function createUpgradeHandler(ctx: SimContext) {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: chooseProtocol, perMessageDeflate: false });
  wss.on('headers', function restoreTunnelProtocol(headers) {
    const i = headers.findIndex((h) => h.toLowerCase() === `sec-websocket-protocol: ${TUNNEL_STAND_IN}`);
    if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${PORTFORWARD_TUNNEL_PROTOCOL}`;
  });
  const live = new Set<WebSocket>();
  ctx.shutdown.addEventListener('abort', () => {
    for (const ws of live) ws.terminate();
    wss.close();
  });

  return function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    const record = recordRequest(ctx, req, url);
    let info: RequestInfo;
    let options: CommandOptions;
    try {
      info = identify(ctx, req, url, record).info;
      options = commandOptions(url);
      validate(ctx, info, options);
    } catch (err) {
      const apiErr = toApiError(err);
      record.code = apiErr.code;
      socket.end(rawErrorResponse(apiErr));
      return;
    }
    record.code = 101;
    const kind = info.subresource;
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();

    if (upgrade === 'websocket') {
      offered.set(req, kind === 'portforward' ? [TUNNEL_STAND_IN, ...PORTFORWARD_WS_PROTOCOLS] : WS_REMOTECOMMAND_PROTOCOLS);
      const requested = req.headers['sec-websocket-protocol'];
      if (requested) req.headers['sec-websocket-protocol'] = requested.split(',').map((p) => (p.trim() === PORTFORWARD_TUNNEL_PROTOCOL ? TUNNEL_STAND_IN : p.trim())).join(', ');
      wss.handleUpgrade(req, socket, head, function onWebSocket(ws) {
        live.add(ws);
        const release = ctx.streams.open(kind as StreamKind);
        ws.on('close', () => {
          live.delete(ws);
          release();
        });
        if (kind === 'portforward') {
          if (ws.protocol === TUNNEL_STAND_IN) {
            // kubectl ≥ 1.31 tunnels SPDY inside binary WebSocket messages.
            servePortForwardSpdy(ctx, info, createWebSocketStream(ws));
          } else {
            servePortForwardWebSocketChannels(ctx, info, url, ws);
          }
          return;
        }
        const container = ctx.pods.runningContainer(info.namespace, info.name, options.container);
        const streams = websocketCommandStreams(ws, options);
        if (kind === 'exec') runExec(ctx.pods, container, options.command, streams);
        else runAttach(container, streams);
      });
      return;
    }

    if (upgrade.startsWith('spdy/3.1')) {
      const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((v) => v.trim());
      const wanted = kind === 'portforward' ? ['portforward.k8s.io'] : ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
      const protocol = wanted.find((w) => versions.includes(w));
      if (!protocol) {
        socket.end(rawErrorResponse(badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${versions.join(', ')}, server supports ${wanted.join(', ')}`)));
        return;
      }
      const conn = acceptSpdy(socket, head, protocol, ctx.shutdown);
      conn.on('close', ctx.streams.open(kind as StreamKind));
      if (kind === 'portforward') servePortForwardSpdy(ctx, info, conn);
      else spdyCommandSession(ctx, info, options, conn, protocol);
      return;
    }
    socket.end(rawErrorResponse(badRequest(`unsupported upgrade protocol ${upgrade}`)));
  };
}
