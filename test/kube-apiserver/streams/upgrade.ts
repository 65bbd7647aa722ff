// Upgrade requests (exec, attach, portforward over WebSocket or SPDY/3.1)
// arrive on the raw `upgrade` event: the same filter chain runs, then the
// socket is handed to the protocol handler.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, toApiError } from '../api/status.js';
import type { SimContext } from '../context.js';
import { rawErrorResponse } from '../http/io.js';
import { identify, requestUrl } from '../http/pipeline.js';

export function createUpgradeHandler(ctx: SimContext) {
  return function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    try {
      const { info } = identify(ctx, req, url);
      throw badRequest(`upgrade not supported for ${info.path}`);
    } catch (err) {
      const apiErr = toApiError(err);
      const last = ctx.requests[ctx.requests.length - 1];
      if (last) last.code = apiErr.code;
      socket.end(rawErrorResponse(apiErr));
    }
    void head;
  };
}
