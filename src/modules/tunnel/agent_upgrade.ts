/**
 * Agent-side helpers for upgraded requests (exec, attach, port-forward); the protocol is
 * described at `UPGRADE_HEADER` in shared.ts.
 */
import type http2 from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { CONNECTION_SPECIFIC_HEADERS, UPGRADE_HEADER, UPGRADED_HEADER } from './shared.js';

/** The `Upgrade` value the server's caller asked for, or undefined for an ordinary request. */
export function requestedUpgrade(req: http2.Http2ServerRequest): string | undefined {
  const value = req.headers[UPGRADE_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The HTTP/1.1 headers for forwarding `req` to the Kubernetes API: pseudo-headers and the
 * tunnel's own header removed, `Connection: Upgrade` + `Upgrade` restored for upgrades.
 */
export function forwardedHeaders(req: http2.Http2ServerRequest): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || name === UPGRADE_HEADER || CONNECTION_SPECIFIC_HEADERS.has(name)) continue;
    out[name] = value;
  }
  const upgrade = requestedUpgrade(req);
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = upgrade;
  }
  return out;
}

/**
 * Tells the server that the Kubernetes API switched protocols (`headers` are the 101's,
 * e.g. `sec-websocket-accept`, `x-stream-protocol-version`) and returns the raw byte
 * stream: reading gives the caller's bytes, writing sends bytes back to the caller.
 * Pipe it to and from the Kubernetes API socket; end it when that socket ends.
 */
export function acceptUpgrade(res: http2.Http2ServerResponse, headers: OutgoingHttpHeaders): Duplex {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || CONNECTION_SPECIFIC_HEADERS.has(lower) || lower.startsWith(':')) continue;
    out[lower] = value;
  }
  out[UPGRADED_HEADER] = '101';
  res.stream.respond({ ':status': 200, ...out });
  return res.stream;
}
