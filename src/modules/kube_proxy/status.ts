/**
 * Errors to kubectl are Kubernetes `Status` objects: kubectl prints their message, so the
 * message says who speaks ("kubegate:") and what to do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  502: 'ServiceUnavailable',
  503: 'ServiceUnavailable',
  504: 'Timeout',
  500: 'InternalError',
};

const PHRASES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function statusObject(code: number, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `kubegate: ${message}`, reason: REASONS[code] ?? 'Unknown', code };
}

/**
 * kubectl's first request is API discovery, and it prints a `Status` it receives there
 * as "Forbidden: unknown"; a plain-text body it prints as it is. So discovery requests
 * get the message as text, everything else the `Status` object.
 */
export function isDiscoveryRequest(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0]!.replace(/^\/-\/kubernetes-agent\/k8s-proxy/, '');
  return path === '/api' || path === '/apis' || path === '/api/' || path === '/apis/' || String(req.headers.accept ?? '').includes('apidiscovery.k8s.io');
}

export function sendStatus(res: ServerResponse, code: number, message: string, req?: IncomingMessage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const plain = req !== undefined && isDiscoveryRequest(req);
  const body = plain ? `kubegate: ${message}\n` : JSON.stringify(statusObject(code, message));
  res.writeHead(code, { 'content-type': plain ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** The same on a raw socket, for refused upgrades (exec, port-forward). */
export function sendStatusOnSocket(socket: Duplex, code: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(statusObject(code, message));
  socket.end(
    `HTTP/1.1 ${code} ${PHRASES[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
