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

/**
 * Sends the request and relays the answer. Resolves once the answer's headers are relayed;
 * rejects (having sent nothing to the caller) when the stream failed before any answer —
 * the caller may then send the request another way. Failures after that close the
 * caller's stream, so a cut answer never looks complete.
 */
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
  let responded = false;
  down.once('close', function cancelUpstream() {
    if (up.destroyed || up.closed) return;
    log.debug({ method: req.method, path: req.url }, 'the caller went away; cancelled the Kubernetes API request');
    up.close(http2.constants.NGHTTP2_CANCEL);
  });
  if (down.destroyed || down.closed) {
    up.close(http2.constants.NGHTTP2_CANCEL);
    return;
  }
  if (!bodyless) req.pipe(up);
  await new Promise<void>((resolve, reject) => {
    up.once('response', function relayHeaders(upHeaders) {
      responded = true;
      resolve();
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
      if (!responded) {
        reject(err);
        return;
      }
      // An answer cut short must not look complete to the caller.
      if (!down.destroyed && !down.closed) down.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    up.once('close', function closedWithoutAnswer() {
      if (!responded) reject(new Error(`the stream closed before an answer (code ${up.rstCode ?? 0})`));
    });
  });
}
