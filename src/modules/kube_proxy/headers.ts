/**
 * Which headers cross the proxy. The caller's credentials and cookies never leave the
 * server, nor do `Impersonate-*` headers (the agent configuration alone decides who the
 * agent acts as); the identity travels in `IDENTITY_HEADER` instead. Headers named
 * `kubegate-…` are the tunnel's and the agent's own (identity, upgrades, the control
 * path): a caller's never cross.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { IDENTITY_HEADER } from './shared.js';

/** Request headers that never leave the server: the caller's credentials and hop-by-hop ones. */
const STRIPPED = new Set(['authorization', 'cookie', 'proxy-authorization', 'host', 'connection', 'upgrade', 'keep-alive', 'te', 'transfer-encoding', 'proxy-connection', IDENTITY_HEADER]);
const KUBEGATE_HEADER_PREFIX = 'kubegate-';
const HOP_BY_HOP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** The first `Impersonate-*` header the caller sent, if any: such requests are refused. */
export function impersonationAttempt(req: IncomingMessage): string | undefined {
  return Object.keys(req.headers).find((h) => h.startsWith('impersonate-'));
}

/** `identityHeader` is the encoded identity (`encodeIdentity`) the agent must act as. */
export function forwardHeaders(req: IncomingMessage, identityHeader: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || STRIPPED.has(name) || name.startsWith('impersonate-') || name.startsWith(KUBEGATE_HEADER_PREFIX)) continue;
    out[name] = value;
  }
  out[IDENTITY_HEADER] = identityHeader;
  return out;
}

/** The agent's answer headers a caller may see (no HTTP/2 pseudo-headers, no hop-by-hop). */
export function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP_RESPONSE.has(name)) continue;
    out[name] = value;
  }
  return out;
}
