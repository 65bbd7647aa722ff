// Reading request bodies and writing JSON/Status responses.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeKubeProtobuf } from '../api/protobuf/decode.js';
import { ApiError, badRequest } from '../api/status.js';

const MAX_BODY = 8 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** JSON or YAML (apply-patch+yaml, and kubectl sometimes sends YAML for create). */
export function parseStructured(body: Buffer, contentType: string | undefined): unknown {
  // kubectl's typed clients (create, run, auth) send protobuf.
  if (contentType?.includes('protobuf')) return decodeKubeProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  try {
    if (contentType?.includes('yaml')) return parseYaml(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

export function writeJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/**
 * Sends the status line and headers now, so a client sees a stream start
 * before its first event (HTTP/1.1 ServerResponse has flushHeaders; the
 * HTTP/2 compatibility response sends them on writeHead already).
 */
export function flushHeaders(res: ServerResponse): void {
  const maybe = res as ServerResponse & { flushHeaders?: () => void };
  if (typeof maybe.flushHeaders === 'function') maybe.flushHeaders();
}

export function writeError(res: ServerResponse, err: ApiError): void {
  writeJson(res, err.code, err.toStatus());
}

/** Does the client ask for `as=Table` (kubectl get does)? */
export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** A raw HTTP/1.1 error response on an upgrade socket (no ServerResponse exists there). */
export function rawErrorResponse(err: ApiError): string {
  const body = JSON.stringify(err.toStatus());
  return [
    `HTTP/1.1 ${err.code} ${statusText(err.code)}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

function statusText(code: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };
  return texts[code] ?? 'Error';
}
