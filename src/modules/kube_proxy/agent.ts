/**
 * The agent half of the Kubernetes API proxy: every request the server sends through the
 * tunnel is forwarded to the cluster's API with the agent's own credentials. The caller's
 * credentials never arrive here (the server strips them); impersonation headers are the
 * ones the server computed from the agent configuration, and nothing else.
 */
import https from 'node:https';
import http from 'node:http';
import type http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { acceptUpgrade, forwardedHeaders, requestedUpgrade, type TunnelHandler } from '../tunnel/agent.js';
import type { KubeConnection } from '../../agent/kube_connection.js';
import { IDENTITY_HEADER, decodeIdentity, impersonationHeaders } from './shared.js';

/** Headers the agent never forwards as received: credentials are its own. */
const DROPPED = new Set(['authorization', 'cookie', 'proxy-authorization', 'host', IDENTITY_HEADER]);

export function createKubeProxyHandler(kube: KubeConnection, logger: Logger): TunnelHandler {
  const target = new URL(kube.server);
  const isTls = target.protocol === 'https:';
  // PEM as strings, not Buffers: the https.Agent puts ca/cert/key into its pool key on
  // every request, and a Buffer would be decoded to text each time.
  const agentOptions = {
    keepAlive: true,
    maxSockets: 256,
    ...(kube.ca ? { ca: kube.ca.toString() } : {}),
    ...(kube.clientCert ? { cert: kube.clientCert.toString(), key: kube.clientKey?.toString() } : {}),
    rejectUnauthorized: !kube.insecureSkipTlsVerify,
  };
  const keepAliveAgent = isTls ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true, maxSockets: 256 });
  const log = logger.child({ module: 'kube_proxy' });

  return function forwardToKubeApi(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) {
    let headers;
    try {
      headers = outgoingHeaders(req, kube);
    } catch (err) {
      // Fail closed: without the identity the server asked for, nothing is forwarded.
      log.warn({ err }, 'refusing a request whose identity could not be applied');
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `kubegate agent: ${(err as Error).message}` }));
      return;
    }
    const upgrade = requestedUpgrade(req);
    const options = {
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (isTls ? 443 : 80),
      method: req.method,
      path: `${target.pathname.replace(/\/$/, '')}${req.url}`,
      headers: { ...headers, host: target.host },
      agent: upgrade ? (isTls ? new https.Agent({ ...agentOptions, keepAlive: false }) : undefined) : keepAliveAgent,
    };
    const upstream = (isTls ? https : http).request(options);

    upstream.on('response', function relayResponse(up) {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(up.headers)) {
        if (value === undefined || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding' || name === 'upgrade') continue;
        out[name] = value;
      }
      relayAnswer(up, up.statusCode ?? 502, out, res);
    });
    let upgraded = false;
    upstream.on('upgrade', function relayUpgrade(up, socket: Duplex, head: Buffer) {
      upgraded = true;
      // The caller left during the handshake: answering on the closed stream would throw
      // (and take the whole agent down); just drop the upgraded connection.
      if (res.stream.destroyed || res.stream.closed) {
        socket.destroy();
        return;
      }
      const stream = acceptUpgrade(res, up.headers);
      if (head.length > 0) stream.write(head);
      socket.pipe(stream);
      stream.pipe(socket);
      const end = () => {
        socket.destroy();
        stream.destroy();
      };
      socket.on('close', end);
      socket.on('error', end);
      stream.on('close', end);
      stream.on('error', end);
    });
    upstream.on('error', function upstreamFailed(err) {
      if (res.headersSent) {
        res.stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
        return;
      }
      log.warn({ err: err.message, path: req.url }, 'Kubernetes API request failed');
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 502, message: `kubegate agent: cannot reach the Kubernetes API at ${kube.server}: ${err.message}` }));
    });
    // The caller went away (or the server cancelled): cancel the upstream request too.
    let answered = false;
    upstream.once('response', (up) => up.once('end', () => (answered = true)));
    res.stream.on('close', function cancelUpstream() {
      if (answered || upgraded) return;
      log.debug({ method: req.method, path: req.url }, 'the caller went away; cancelled the Kubernetes API request');
      upstream.destroy();
    });
    // A bodiless request (GET, the common case) goes out at once, without a pipe.
    if (upgrade || req.stream.endAfterHeaders) upstream.end();
    else req.pipe(upstream);
  };
}

const http2Constants = { NGHTTP2_INTERNAL_ERROR: 2 };

/**
 * The Kubernetes API's answer to the tunnel stream.
 *
 * A small body of known length (most API answers) is collected first and then sent with
 * its headers in the same tick through the stream API (`respond` + `end(body)`): HEADERS
 * and a DATA frame carrying END_STREAM then cross the tunnel in one write, where the
 * compatibility API's `writeHead` + pipe took two or three (and each write wakes the
 * server: ~0.2 ms on a busy machine). Anything else (watches, logs, large lists) is piped
 * as it comes.
 *
 * Not `stream.pipeline`: in Node 20 it aborts an AbortController when it finishes, and the
 * DOMException that builds (with a stack trace) cost ~0.1 ms per request. A body cut short
 * must not look complete to the caller: the stream is reset instead of ended.
 */
function relayAnswer(body: http.IncomingMessage, status: number, headers: Record<string, string | string[]>, res: http2.Http2ServerResponse): void {
  const stream = res.stream;
  body.on('error', ignore);
  body.once('close', function bodyClosed() {
    if (!body.complete && !stream.destroyed) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
  });
  const length = Number(body.headers['content-length'] ?? NaN);
  if (!(length <= SMALL_BODY_BYTES)) {
    res.writeHead(status, headers);
    body.pipe(stream);
    return;
  }
  const chunks: Buffer[] = [];
  body.on('data', (chunk: Buffer) => chunks.push(chunk));
  body.once('end', function answerInOnePiece() {
    if (stream.destroyed || stream.closed) return;
    try {
      stream.respond({ ...headers, ':status': status }, { endStream: chunks.length === 0 });
    } catch {
      // Headers HTTP/2 cannot carry: fail this request, not the whole agent.
      stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (chunks.length > 0) stream.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
}

/** Bodies up to this size (with a Content-Length) are sent in one piece. */
const SMALL_BODY_BYTES = 64 * 1024;

function ignore(): void {}

function outgoingHeaders(req: http2.Http2ServerRequest, kube: KubeConnection): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(forwardedHeaders(req))) {
    if (DROPPED.has(name) || name.startsWith('impersonate-')) continue;
    out[name] = value;
  }
  // Every request must say whom it acts for; a request without that is refused rather
  // than sent with the agent's own (usually broader) rights.
  const identity = req.headers[IDENTITY_HEADER];
  if (typeof identity !== 'string') throw new Error('the request carries no identity; refusing to act with the agent\'s own rights');
  Object.assign(out, impersonationHeaders(decodeIdentity(identity)));
  if (kube.bearerToken) out.authorization = `Bearer ${kube.bearerToken()}`;
  return out;
}
