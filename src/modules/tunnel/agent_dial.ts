import { connect as tlsConnect, rootCertificates } from 'node:tls';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { WS_MAX_PAYLOAD_BYTES } from './defaults.js';
import { AGENT_INFO_HEADERS, TUNNEL_H2_SUBPROTOCOL, webSocketAccept, type AgentInfo } from './shared.js';

export interface DialOptions {
  /** `ws://` or `wss://…/-/kubernetes-agent/`. */
  url: string;
  token: string;
  info: AgentInfo;
  /** Extra CA (PEM) trusted besides the system roots. */
  caCert?: string | Buffer;
  /** HTTP(S) proxy URL; undefined = from the environment, null = none. */
  proxy?: string | null;
  /** See `TunnelAgentOptions.unmaskedFrames`. */
  unmaskedFrames: boolean;
  /**
   * Offer the `kubegate-tunnel-h2` subprotocol (HTTP/2 directly on the socket if the
   * server selects it). False: a plain WebSocket handshake through `ws`, as before.
   */
  offerH2: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * A failed dial with the reason worded for the agent's log. `status` is the server's
 * HTTP status when it answered (401: the token is bad, no point in hurrying).
 */
export class DialError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DialError';
    this.status = status;
  }
}

/** An open tunnel connection: a WebSocket, or the socket itself after an h2 handshake. */
export type DialedCarrier = { kind: 'websocket'; ws: WebSocket } | { kind: 'h2'; socket: Socket; head: Buffer };

/**
 * Opens the tunnel connection. `onOpen` runs synchronously as soon as it is open, before
 * any byte can be read from it: the caller must attach its reader there.
 */
export function dialTunnel(options: DialOptions, onOpen: (carrier: DialedCarrier) => void): Promise<DialedCarrier> {
  return options.offerH2 ? dialNegotiated(options, onOpen) : dialWebSocket(options, onOpen);
}

/** How the dial reaches the server: the proxy (if any) and its refusal, once known. */
function proxyFor(options: DialOptions): { proxy: string | null; agent: HttpsProxyAgent<string> | undefined; refusal(): string | undefined } {
  const proxy = options.proxy === undefined ? proxyFromEnvironment(options.url) : options.proxy;
  const agent = proxy ? new HttpsProxyAgent(proxy) : undefined;
  let proxyRefusal: string | undefined;
  agent?.on('proxyConnect', (connect: { statusCode: number; statusText?: string }) => {
    if (connect.statusCode !== 200) proxyRefusal = `${connect.statusCode} ${connect.statusText ?? ''}`.trim();
  });
  return { proxy, agent, refusal: () => proxyRefusal };
}

/** The DialError for a non-101 answer (the server's, or the proxy's refusal to CONNECT). */
async function refusalError(res: IncomingMessage, via: ReturnType<typeof proxyFor>): Promise<DialError> {
  const body = await readSmallBody(res);
  const proxyRefusal = via.refusal();
  if (proxyRefusal) return new DialError(`the HTTP proxy ${redactProxy(via.proxy!)} refused to connect: ${proxyRefusal}`, undefined);
  return new DialError(describeRefusal(res.statusCode ?? 0, body), res.statusCode);
}

function dialWebSocket(options: DialOptions, onOpen: (carrier: DialedCarrier) => void): Promise<DialedCarrier> {
  const via = proxyFor(options);
  const ws = new WebSocket(options.url, {
    headers: { authorization: `Bearer ${options.token}`, ...infoHeaders(options.info) },
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    skipUTF8Validation: true,
    handshakeTimeout: options.timeoutMs,
    followRedirects: false,
    ...(options.caCert ? { ca: [...rootCertificates, options.caCert.toString()] } : {}),
    ...(via.agent ? { agent: via.agent } : {}),
    ...(options.unmaskedFrames ? { generateMask: zeroMask } : {}),
  });

  return new Promise(function waitForOpen(resolve, reject) {
    const fail = (err: DialError): void => {
      cleanup();
      ws.terminate();
      reject(err);
    };
    const onAbort = (): void => fail(new DialError('the agent is stopping'));
    const onOpenEvent = (): void => {
      cleanup();
      const carrier: DialedCarrier = { kind: 'websocket', ws };
      onOpen(carrier);
      resolve(carrier);
    };
    const onUnexpected = (_req: unknown, res: IncomingMessage): void => {
      void refusalError(res, via).then(fail);
    };
    const onError = (err: Error): void => {
      void describeDialFailure(err, options.url, via.proxy).then((message) => fail(new DialError(message, undefined, { cause: err })));
    };
    const cleanup = (): void => {
      options.signal.removeEventListener('abort', onAbort);
      ws.off('open', onOpenEvent);
      ws.off('unexpected-response', onUnexpected);
      ws.off('error', onError);
      // A late error (after open or after we gave up) must not be unhandled.
      ws.on('error', ignore);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    ws.on('open', onOpenEvent);
    ws.on('unexpected-response', onUnexpected);
    ws.on('error', onError);
  });
}

/**
 * The WebSocket handshake done by hand (`http(s).request` + its `upgrade` event), offering
 * `kubegate-tunnel-h2`: that leaves a plain TLS/TCP socket in our hands after the 101. If
 * the server selected the subprotocol, HTTP/2 runs on that socket; if it did not, the
 * connection is an ordinary WebSocket and frames carry HTTP/2 as before.
 */
function dialNegotiated(options: DialOptions, onOpen: (carrier: DialedCarrier) => void): Promise<DialedCarrier> {
  const via = proxyFor(options);
  const url = new URL(options.url);
  const secure = url.protocol === 'wss:';
  const key = randomBytes(16).toString('base64');
  const request = (secure ? https : http).request({
    protocol: secure ? 'https:' : 'http:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (secure ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': key,
      'sec-websocket-protocol': TUNNEL_H2_SUBPROTOCOL,
      authorization: `Bearer ${options.token}`,
      ...infoHeaders(options.info),
    },
    // A fresh connection for each dial: the socket is ours after the 101.
    agent: via.agent ?? false,
    ...(secure && options.caCert ? { ca: [...rootCertificates, options.caCert.toString()] } : {}),
  });

  return new Promise(function waitForUpgrade(resolve, reject) {
    let settled = false;
    const fail = (err: DialError, socket?: Socket): void => {
      if (settled) return;
      settled = true;
      cleanup();
      request.destroy();
      socket?.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new DialError('the agent is stopping'));
    const timer = setTimeout(function handshakeTimedOut() {
      fail(new DialError(describeNetworkError(new Error('Opening handshake has timed out'), options.url, via.proxy)));
    }, options.timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      // A late error (after the upgrade or after we gave up) must not be unhandled.
      request.on('error', ignore);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    request.on('response', (res: IncomingMessage) => {
      void refusalError(res, via).then((err) => fail(err));
    });
    request.on('error', (err: Error) => {
      void describeDialFailure(err, options.url, via.proxy).then((message) => fail(new DialError(message, undefined, { cause: err })));
    });
    request.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled) {
        socket.destroy();
        return;
      }
      const invalid = invalidHandshake(res, key);
      if (invalid) {
        fail(new DialError(`the server's WebSocket handshake is invalid: ${invalid}`), socket);
        return;
      }
      settled = true;
      cleanup();
      socket.on('error', ignore);
      socket.setTimeout(0);
      socket.setNoDelay(true);
      const carrier: DialedCarrier =
        res.headers['sec-websocket-protocol'] === TUNNEL_H2_SUBPROTOCOL
          ? { kind: 'h2', socket, head }
          : { kind: 'websocket', ws: clientWebSocketOn(socket, head, options.unmaskedFrames) };
      onOpen(carrier);
      resolve(carrier);
    });
    request.end();
  });
}

/** What is wrong with a 101 (RFC 6455 §4.1 checks), or undefined when it is fine. */
function invalidHandshake(res: IncomingMessage, key: string): string | undefined {
  if ((res.headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'no "Upgrade: websocket"';
  if (res.headers['sec-websocket-accept'] !== webSocketAccept(key)) return 'wrong Sec-WebSocket-Accept';
  const protocol = res.headers['sec-websocket-protocol'];
  if (protocol !== undefined && protocol !== TUNNEL_H2_SUBPROTOCOL) return `unexpected subprotocol "${protocol}"`;
  if (res.headers['sec-websocket-extensions'] !== undefined) return 'an extension nobody asked for';
  return undefined;
}

/**
 * A client-side `ws` WebSocket on a socket whose handshake we did ourselves (the server
 * did not select `kubegate-tunnel-h2`). `ws` builds client sockets only from a URL it dials
 * itself, so this uses what its `WebSocketServer` uses (`new WebSocket(null)` +
 * `setSocket`) and flips `_isServer`, which decides masking and what frames to expect.
 * `ws` is pinned by the lock file; the tunnel tests run this path (a server with
 * `rawTransport: false`).
 */
function clientWebSocketOn(socket: Socket, head: Buffer, unmaskedFrames: boolean): WebSocket {
  const WebSocketClass = WebSocket as unknown as new (address: null, protocols: undefined, options: Record<string, unknown>) => WebSocket;
  const ws = new WebSocketClass(null, undefined, { autoPong: true, closeTimeout: 30_000, maxPendingAutoPongs: 60 });
  const internals = ws as unknown as { _isServer: boolean; setSocket(socket: Socket, head: Buffer, options: Record<string, unknown>): void };
  internals._isServer = false;
  internals.setSocket(socket, head, {
    allowSynchronousEvents: true,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    skipUTF8Validation: true,
    ...(unmaskedFrames ? { generateMask: zeroMask } : {}),
  });
  return ws;
}

function infoHeaders(info: AgentInfo): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of Object.keys(AGENT_INFO_HEADERS) as Array<keyof AgentInfo>) {
    // Header values must be latin1 without control characters; pod names always are.
    const value = info[key].replace(/[^\x20-\x7e]/g, '');
    if (value) headers[AGENT_INFO_HEADERS[key]] = value;
  }
  return headers;
}

/**
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY in either case. `proxy-from-env` looks up
 * `<scheme>_proxy`, so the WebSocket schemes are mapped to their HTTP equivalents first.
 */
export function proxyFromEnvironment(url: string): string | null {
  const httpUrl = url.replace(/^ws(s?):/i, 'http$1:');
  return getProxyForUrl(httpUrl) || null;
}

/**
 * RFC 6455 asks clients to mask frames so that script in a *browser* cannot make a
 * transparent proxy misread WebSocket bytes as HTTP. The agent is not a browser, and
 * masking (a JavaScript XOR loop over every byte in Node 20) cut bulk throughput ~5x.
 * A zero key is a valid key that `ws` recognises: no copy, no XOR on either side.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

function describeRefusal(status: number, body: string): string {
  const detail = body ? `: ${body}` : '';
  if (status === 401) {
    // The server says why when it knows (e.g. "the agent token was revoked; …").
    const reason = body.trim().replace(/^the agent token was rejected:\s*/, '');
    if (reason) return `the agent token was rejected (401): ${reason}`;
    return 'the agent token was rejected (401): it is revoked or wrong; create a new token for this agent and update the agent\'s secret';
  }
  if (status === 404) return `the server has no agent endpoint at this address (404); check --kas-address, it should end with /-/kubernetes-agent/${detail}`;
  if (status === 503) return `the server is unavailable (503)${detail}`;
  if (status >= 300 && status < 400) return `the server redirected (${status}); use the final URL as --kas-address`;
  return `the server refused the connection with HTTP ${status}${detail}`;
}

/**
 * `describeNetworkError`, and for a `ws://` address whose server hung up on the plain
 * handshake: whether that server speaks TLS (then the fix is `wss://`, say so).
 */
async function describeDialFailure(err: Error, url: string, proxy: string | null | undefined): Promise<string> {
  const code = (err as { code?: string }).code ?? '';
  if (!proxy && url.startsWith('ws:') && (code === 'ECONNRESET' || /socket hang up/i.test(err.message)) && (await speaksTls(url))) {
    const wss = url.replace(/^ws:/, 'wss:');
    return `the server at ${safeHost(url)} speaks TLS: use wss:// (--kas-address ${wss} or KUBEGATE_KAS_ADDRESS)`;
  }
  return describeNetworkError(err, url, proxy);
}

/** Whether a TLS handshake with the address's host and port succeeds (certificate not checked). */
function speaksTls(url: string): Promise<boolean> {
  const target = new URL(url);
  return new Promise(function probeTls(resolve) {
    const socket = tlsConnect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 80), rejectUnauthorized: false, timeout: TLS_PROBE_TIMEOUT_MS });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** How long the `ws://`-to-a-TLS-server probe waits. */
const TLS_PROBE_TIMEOUT_MS = 3_000;

function describeNetworkError(err: Error, url: string, proxy: string | null | undefined): string {
  const code = (err as { code?: string }).code ?? '';
  const via = proxy ? ` through the HTTP proxy ${redactProxy(proxy)}` : '';
  const host = safeHost(url);
  if (code === 'ECONNREFUSED') return `connection to ${host}${via} refused: is the server running?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${host}${via}: ${err.message}`;
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(err.message)) return `connection to ${host}${via} timed out`;
  if (code.startsWith('ERR_TLS') || /certificate|self[- ]signed|SSL|TLS/i.test(`${code} ${err.message}`)) {
    return `TLS handshake with ${host} failed: ${err.message}; if the server uses a private CA, pass it with --kas-ca-cert-file`;
  }
  return `connection to ${host}${via} failed: ${err.message}`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function redactProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    u.username = '';
    u.password = '';
    return u.origin;
  } catch {
    return '[proxy]';
  }
}

function readSmallBody(res: IncomingMessage): Promise<string> {
  return new Promise(function readBody(resolve) {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (text.length < 500) text += chunk;
    });
    res.on('end', () => resolve(text.trim().slice(0, 500)));
    res.on('error', () => resolve(text.trim().slice(0, 500)));
  });
}

function ignore(): void {}
