import { rootCertificates } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { WS_MAX_PAYLOAD_BYTES } from './defaults.js';
import { AGENT_INFO_HEADERS, type AgentInfo } from './shared.js';

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

/**
 * Opens the tunnel WebSocket. `onOpen` runs synchronously in the `open` event, before any
 * message can be emitted: the caller must attach its reader there.
 */
export function dialTunnel(options: DialOptions, onOpen: (ws: WebSocket) => void): Promise<WebSocket> {
  const proxy = options.proxy === undefined ? proxyFromEnvironment(options.url) : options.proxy;
  const agent = proxy ? new HttpsProxyAgent(proxy) : undefined;
  let proxyRefusal: string | undefined;
  agent?.on('proxyConnect', (connect: { statusCode: number; statusText?: string }) => {
    if (connect.statusCode !== 200) proxyRefusal = `${connect.statusCode} ${connect.statusText ?? ''}`.trim();
  });

  const ws = new WebSocket(options.url, {
    headers: { authorization: `Bearer ${options.token}`, ...infoHeaders(options.info) },
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    skipUTF8Validation: true,
    handshakeTimeout: options.timeoutMs,
    followRedirects: false,
    ...(options.caCert ? { ca: [...rootCertificates, options.caCert.toString()] } : {}),
    ...(agent ? { agent } : {}),
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
      onOpen(ws);
      resolve(ws);
    };
    const onUnexpected = (_req: unknown, res: IncomingMessage): void => {
      readSmallBody(res).then((body) => {
        if (proxyRefusal) fail(new DialError(`the HTTP proxy ${redactProxy(proxy!)} refused to connect: ${proxyRefusal}`, undefined));
        else fail(new DialError(describeRefusal(res.statusCode ?? 0, body), res.statusCode));
      });
    };
    const onError = (err: Error): void => {
      fail(new DialError(describeNetworkError(err, options.url, proxy), undefined, { cause: err }));
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
