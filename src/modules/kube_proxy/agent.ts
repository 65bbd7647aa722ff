/**
 * The agent half of the Kubernetes API proxy: every request the server sends through the
 * tunnel is forwarded to the cluster's API with the agent's own credentials. The caller's
 * credentials never arrive here (the server strips them); impersonation headers are the
 * ones the server computed from the agent configuration, and nothing else.
 */
import https from 'node:https';
import http from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { acceptUpgrade, forwardedHeaders, requestedUpgrade, type TunnelHandler } from '../tunnel/agent.js';
import type { KubeConnection } from '../../agent/kube_connection.js';
import { IDENTITY_HEADER, decodeIdentity, impersonationHeaders, isLongStream } from './shared.js';
import { Http2UnsupportedError, KubeH2Client } from './agent_h2.js';
import { relayOverHttp2 } from './agent_h2_relay.js';
import { DEFAULT_MAX_LONG_STREAMS, Gauge, MAX_H2_SESSIONS, MAX_QUEUED_SHORT_REQUESTS, SHORT_POOL_CONNECTIONS, refuseAtLimit, type AgentProxyLimits } from './agent_limits.js';

/** Headers the agent never forwards as received: credentials are its own. */
const DROPPED = new Set(['authorization', 'cookie', 'proxy-authorization', 'host', IDENTITY_HEADER]);

export function createKubeProxyHandler(kube: KubeConnection, logger: Logger, options: KubeProxyOptions = {}): TunnelHandler {
  const limits = { maxLongStreams: options.maxLongStreams ?? DEFAULT_MAX_LONG_STREAMS };
  const podName = (): string => options.podName ?? 'this agent pod';
  const target = new URL(kube.server);
  const isTls = target.protocol === 'https:';
  const basePath = target.pathname.replace(/\/$/, '');
  const tlsOptions = {
    ...(kube.ca ? { ca: kube.ca.toString() } : {}),
    ...(kube.clientCert ? { cert: kube.clientCert.toString(), key: kube.clientKey?.toString() } : {}),
    rejectUnauthorized: !kube.insecureSkipTlsVerify,
  };
  // Short requests go through an undici pool: about half the CPU per request of
  // `https.request` with a keep-alive agent. No timeouts of its own: the server bounds the
  // wait for response headers. Long-lived ones never use it (see agent_limits.ts).
  const pool = new Pool(target.origin, {
    connections: SHORT_POOL_CONNECTIONS,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    ...(isTls ? { connect: tlsOptions } : {}),
  });
  const log = logger.child({ module: 'kube_proxy' });
  const longStreams = new Gauge(limits.maxLongStreams);
  const shortRequests = new Gauge(SHORT_POOL_CONNECTIONS + MAX_QUEUED_SHORT_REQUESTS);
  // Watches and `logs -f`: multiplexed over HTTP/2. An API server without HTTP/2 (or a
  // plain http:// one) gets them on a pool of their own instead, a connection each.
  const h2 = new KubeH2Client({ origin: target.origin, tls: tlsOptions, maxSessions: MAX_H2_SESSIONS });
  let streamPool: Pool | undefined;
  const longStreamPool = (): Pool => {
    streamPool ??= new Pool(target.origin, { connections: limits.maxLongStreams, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, ...(isTls ? { connect: tlsOptions } : {}) });
    return streamPool;
  };

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
    const path = `${basePath}${req.url}`;
    const upgrade = requestedUpgrade(req);
    if (upgrade || isLongStream(req.url)) {
      const release = longStreams.tryTake();
      if (!release) {
        refuseAtLimit(
          res,
          429,
          `pod ${podName()} has ${longStreams.limit} long-lived requests open (watch, logs -f, exec, attach, port-forward), its limit (--max-long-streams); close some, or run more agent replicas`,
        );
        return;
      }
      res.stream.once('close', release);
      if (upgrade) forwardUpgrade(req, res, { ...headers, host: target.host }, path);
      else forwardLongStream(req, res, { ...headers, host: target.host }, path);
      return;
    }
    const release = shortRequests.tryTake();
    if (!release) {
      refuseAtLimit(res, 503, `pod ${podName()} has ${SHORT_POOL_CONNECTIONS} requests to the Kubernetes API in flight and ${MAX_QUEUED_SHORT_REQUESTS} more waiting, its limit; retry in a moment, or run more agent replicas`);
      return;
    }
    res.stream.once('close', release);
    forwardRequest(pool, req, res, { ...headers, host: target.host }, path);
  };

  /** A watch or `logs -f`: over HTTP/2 when the API server speaks it, else on the stream pool. */
  function forwardLongStream(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, headers: http.OutgoingHttpHeaders, path: string): void {
    if (h2.unsupported) {
      forwardRequest(longStreamPool(), req, res, headers, path);
      return;
    }
    relayOverHttp2(h2, req, res, headers, { authority: target.host, path }, log).catch(function http2Failed(err: unknown) {
      if (err instanceof Http2UnsupportedError) {
        log.info({ kubernetes: kube.server, reason: err.message }, 'the Kubernetes API does not speak HTTP/2: watches and followed logs get a connection each');
      } else {
        // Nothing reached the caller yet (the stream failed before an answer): a watch or
        // a log read is safe to send again, on a connection of its own.
        log.warn({ err: (err as Error).message, path: req.url }, 'an HTTP/2 stream to the Kubernetes API failed before an answer; sending the request over HTTP/1.1');
      }
      if (!res.stream.destroyed && !res.stream.closed && !res.headersSent) forwardRequest(longStreamPool(), req, res, headers, path);
    });
  }

  function forwardRequest(pool: Pool, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, headers: http.OutgoingHttpHeaders, path: string): void {
    const stream = res.stream;
    // Hop-by-hop headers undici refuses (it sets its own framing); `Expect` it cannot do.
    for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name];
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let callerGone = false;
    stream.on('close', function cancelUpstream() {
      if (settled) return;
      callerGone = true;
      log.debug({ method: req.method, path: req.url }, 'the caller went away; cancelled the Kubernetes API request');
      controller?.abort(new Error('the caller went away'));
    });
    const bodyless = req.stream.endAfterHeaders;
    const answer = new AnswerRelay(stream);
    pool.dispatch(
      { path, method: req.method as Dispatcher.HttpMethod, headers: headers as Record<string, string | string[]>, body: bodyless ? null : req },
      {
        onRequestStart(ctrl) {
          controller = ctrl;
          if (callerGone) ctrl.abort(new Error('the caller went away'));
        },
        onResponseStart(ctrl, status, upHeaders) {
          if (status < 200) return;
          answer.start(ctrl, status, upHeaders);
        },
        onResponseData(ctrl, chunk) {
          answer.data(ctrl, chunk);
        },
        onResponseEnd() {
          settled = true;
          answer.end();
        },
        onResponseError(_ctrl, err) {
          settled = true;
          if (callerGone) return;
          if (answer.started) {
            // A body cut short must not look complete to the caller.
            if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
            return;
          }
          log.warn({ err: err.message, path: req.url }, 'Kubernetes API request failed');
          if (stream.destroyed || stream.closed) return;
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 502, message: `kubegate agent: cannot reach the Kubernetes API at ${kube.server}: ${err.message}` }));
        },
      },
    );
  }

  /** exec, attach, port-forward: an HTTP/1.1 upgrade on a connection of its own. */
  function forwardUpgrade(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, headers: http.OutgoingHttpHeaders, path: string): void {
    const options = {
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (isTls ? 443 : 80),
      method: req.method,
      path,
      headers,
      agent: isTls ? new https.Agent({ ...tlsOptions, keepAlive: false }) : undefined,
    };
    const upstream = (isTls ? https : http).request(options);
    upstream.on('response', function relayRefusal(up) {
      // The API answered without switching (403, 400…): an ordinary answer.
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(up.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        out[name] = value;
      }
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res.stream);
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
    res.stream.on('close', function cancelUpstream() {
      if (upgraded) return;
      upstream.destroy();
    });
    upstream.end();
  }
}

/** Response headers that belong to the hop between the agent and the Kubernetes API. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * The Kubernetes API's answer to the tunnel stream.
 *
 * A small body of known length (most API answers) is collected first and then sent with
 * its headers in the same tick (`respond` + `end(body)`): HEADERS and a DATA frame
 * carrying END_STREAM then cross the tunnel in one write, where sending the headers first
 * took two or three (and each write wakes the server: ~0.2 ms on a busy machine).
 * Anything else (watches, logs, large lists) is relayed as it comes, with backpressure:
 * when the tunnel stream's window is full the upstream connection is paused, so a caller
 * that does not read holds back only its own request.
 */
class AnswerRelay {
  started = false;
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  /** Collected chunks of a small body; null when streaming. */
  private chunks: Buffer[] | null = null;

  constructor(private readonly stream: http2.ServerHttp2Stream) {}

  start(ctrl: Dispatcher.DispatchController, status: number, upHeaders: Record<string, string | string[] | undefined>): void {
    this.started = true;
    this.status = status;
    for (const [name, value] of Object.entries(upHeaders)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      this.headers[name] = value;
    }
    const length = Number(this.headers['content-length'] ?? NaN);
    if (length <= SMALL_BODY_BYTES) {
      this.chunks = [];
      return;
    }
    if (!this.respond(false)) ctrl.abort(new Error('the answer cannot be relayed'));
  }

  data(ctrl: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.chunks) {
      this.chunks.push(chunk);
      return;
    }
    const stream = this.stream;
    if (stream.destroyed) return;
    if (!stream.write(chunk)) {
      ctrl.pause();
      stream.once('drain', () => ctrl.resume());
    }
  }

  end(): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const chunks = this.chunks;
    if (!chunks) {
      stream.end();
      return;
    }
    if (!this.respond(chunks.length === 0)) return;
    if (chunks.length > 0) stream.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  /** Sends the headers; false (and the stream reset) when HTTP/2 cannot carry them. */
  private respond(endStream: boolean): boolean {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    try {
      stream.respond({ ...this.headers, ':status': this.status }, { endStream });
      return true;
    } catch {
      // Headers HTTP/2 cannot carry: fail this request, not the whole agent.
      stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
      return false;
    }
  }
}

const http2Constants = { NGHTTP2_INTERNAL_ERROR: 2 };

export interface KubeProxyOptions extends Partial<AgentProxyLimits> {
  /** This pod's name, for messages that say which pod reached a limit. */
  podName?: string;
}

/** Bodies up to this size (with a Content-Length) are sent in one piece. */
const SMALL_BODY_BYTES = 64 * 1024;


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
  Object.assign(out, impersonationFor(identity));
  if (kube.bearerToken) out.authorization = `Bearer ${kube.bearerToken()}`;
  return out;
}

/**
 * The `Impersonate-*` headers of an encoded identity. A job sends the same identity on
 * every request, so decoded ones are kept (at most `MAX_CACHED_IDENTITIES`; the header
 * value is the whole identity, so equal values mean equal headers). Throws on a malformed
 * identity, which is never cached.
 */
function impersonationFor(encoded: string): Record<string, string | string[]> {
  let headers = identityCache.get(encoded);
  if (!headers) {
    headers = impersonationHeaders(decodeIdentity(encoded));
    if (identityCache.size >= MAX_CACHED_IDENTITIES) identityCache.clear();
    identityCache.set(encoded, headers);
  }
  return headers;
}

const MAX_CACHED_IDENTITIES = 1_000;
const identityCache = new Map<string, Record<string, string | string[]>>();
