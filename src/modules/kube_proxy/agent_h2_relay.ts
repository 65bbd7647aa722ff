/**
 * Relays one long-lived request (a watch, `logs -f`) over an HTTP/2 stream to the
 * Kubernetes API and its answer back through the tunnel stream, with backpressure both
 * ways: a caller that stops reading holds back its own stream only (HTTP/2 flow control
 * on both hops), never the connection the other streams share.
 */
import http2 from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { KubeH2Client } from './agent_h2.js';

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const NOT_FOR_HTTP2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'http2-settings']);

export async function relayOverHttp2(
  client: KubeH2Client,
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  headers: OutgoingHttpHeaders,
  target: { authority: string; path: string },
  log: Logger,
): Promise<void> {
  const out: OutgoingHttpHeaders = { ':method': req.method, ':path': target.path, ':authority': target.authority };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FOR_HTTP2.has(name)) continue;
    out[name] = value;
  }
  const bodyless = req.stream.endAfterHeaders;
  const up = await client.open(out, bodyless);
  const down = res.stream;
  if (down.destroyed || down.closed) {
    up.close(http2.constants.NGHTTP2_CANCEL);
    return;
  }
  down.once('close', function cancelUpstream() {
    if (!up.destroyed) up.close(http2.constants.NGHTTP2_CANCEL);
  });
  if (!bodyless) req.pipe(up);
  let responded = false;
  up.once('response', function relayHeaders(upHeaders) {
    responded = true;
    if (down.destroyed || down.closed) return;
    const answer: Record<string, string | string[] | number> = {};
    for (const [name, value] of Object.entries(upHeaders)) {
      if (value === undefined || name.startsWith(':')) continue;
      answer[name] = value as string | string[];
    }
    try {
      down.respond({ ...answer, ':status': Number(upHeaders[':status'] ?? 502) });
    } catch {
      down.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    up.pipe(down);
  });
  up.on('error', function upstreamFailed(err) {
    if (down.destroyed || down.closed) return;
    if (responded) {
      // An answer cut short must not look complete to the caller.
      down.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    log.warn({ err: err.message, path: target.path }, 'Kubernetes API request over HTTP/2 failed');
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 502, message: `kubegate agent: the Kubernetes API stream failed: ${err.message}` });
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(body);
  });
}
