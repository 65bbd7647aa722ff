/**
 * The Kubernetes API proxy for CI jobs (`/-/kubernetes-agent/k8s-proxy/`). Every request
 * is authenticated and authorized, stripped of the caller's credentials, given the
 * identity the agent configuration chose, and sent through the tunnel to one connected
 * pod of the agent. Anything that goes wrong fails closed with a Kubernetes `Status`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { isKubegateError } from '../../lib/errors.js';
import type { TunnelServer } from '../tunnel/server.js';
import { Cancellation, NoAgentConnectionError, TunnelAbortedError } from '../tunnel/server.js';
import type { AuditLog } from '../audit/server.js';
import { ProxyAuthorizer, ProxyRefusal, type Authorized } from './auth.js';
import { sendStatus, sendStatusOnSocket } from './status.js';
import { endBrokenStream } from './broken_stream.js';
import { forwardHeaders, impersonationAttempt, responseHeaders } from './headers.js';
import { NOBODY, auditEvent, subjectOf, type AuditSubject } from './audit_event.js';
import { refuseNonApiPath } from './api_paths.js';
import { isLongStream } from './shared.js';

export const PROXY_PREFIX = '/-/kubernetes-agent/k8s-proxy';

/** How long the agent may take to start answering (not to finish: watches run for hours). */
export const RESPONSE_HEADERS_TIMEOUT_MS = 60_000;

export interface KubeProxyDeps {
  authorizer: ProxyAuthorizer;
  tunnel: Pick<TunnelServer, 'request' | 'upgrade'>;
  audit: Pick<AuditLog, 'record'>;
  logger: Logger;
  /** Default `RESPONSE_HEADERS_TIMEOUT_MS`; tests shrink it. */
  responseHeadersTimeoutMs?: number;
  /** Counts an upgraded stream (exec, port-forward) as in flight until it closes (the server's drain). */
  trackInFlight?: (closed: { once(event: 'close', listener: () => void): unknown }) => void;
}

export interface KubeProxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Ends every open request and stream of a job (its token died: the job finished).
   * Returns how many were cut.
   */
  closeJob(jobId: number): number;
  /**
   * Ends every open watch and `logs -f` cleanly (the server is draining: they would never
   * finish on their own; kubectl sees the stream end, client-go watches again elsewhere).
   * Returns how many were ended.
   */
  endStreams(): number;
  /** Cuts every open request and stream (the drain deadline passed). Returns how many. */
  closeAll(): number;
}

export function createKubeProxy(deps: KubeProxyDeps): KubeProxy {
  const log = deps.logger.child({ module: 'kube_proxy' });
  const headersTimeoutMs = deps.responseHeadersTimeoutMs ?? RESPONSE_HEADERS_TIMEOUT_MS;
  /** Open requests and streams per job, so a finished job's `logs -f` or exec ends too. */
  const openByJob = new Map<number, Set<() => void>>();
  /** Open watches and `logs -f`, each with the way to end it cleanly (at shutdown). */
  const openStreams = new Set<() => void>();

  function track(jobId: number, cut: () => void, closed: { once(event: 'close', fn: () => void): unknown }): void {
    let set = openByJob.get(jobId);
    if (!set) openByJob.set(jobId, (set = new Set()));
    set.add(cut);
    closed.once('close', () => {
      set.delete(cut);
      if (set.size === 0 && openByJob.get(jobId) === set) openByJob.delete(jobId);
    });
  }

  function upstreamPath(url: string): string | null {
    if (url !== PROXY_PREFIX && !url.startsWith(`${PROXY_PREFIX}/`) && !url.startsWith(`${PROXY_PREFIX}?`)) return null;
    const rest = url.slice(PROXY_PREFIX.length);
    return rest.startsWith('/') ? rest : `/${rest}`;
  }

  /**
   * Lets a request in, or says why not (and audits the refusal): impersonation asked by
   * the caller, no or bad credentials, a job that may not use the agent.
   */
  async function admit(req: IncomingMessage, path: string, started: number): Promise<Authorized | { code: number; message: string }> {
    // Before authentication, so that nothing about the caller matters: such a path is
    // never forwarded, whoever asks.
    const notApi = refuseNonApiPath(path);
    if (notApi) {
      deps.audit.record(auditEvent(NOBODY, req.method ?? 'GET', path, { status: 404, started, bytesIn: 0, bytesOut: 0, error: notApi }));
      return { code: 404, message: notApi };
    }
    const attempt = impersonationAttempt(req);
    let refusal: { code: number; message: string };
    let subject: AuditSubject = NOBODY;
    try {
      const auth = await deps.authorizer.authorize(req.headers);
      if (!attempt) return auth;
      subject = subjectOf(auth);
      refusal = { code: 403, message: `impersonation is set by the agent configuration only; remove the ${attempt} header (kubectl --as/--as-group)` };
    } catch (err) {
      refusal = attempt && !(err instanceof ProxyRefusal && err.code === 'unauthorized')
        ? { code: 403, message: `impersonation is set by the agent configuration only; remove the ${attempt} header (kubectl --as/--as-group)` }
        : refusalStatus(err);
      if (err instanceof ProxyRefusal) subject = { ctx: err.ctx, agent: err.agentId === null ? null : { id: err.agentId, name: '' }, accessAs: '' };
    }
    deps.audit.record(auditEvent(subject, req.method ?? 'GET', path, { status: refusal.code, started, bytesIn: 0, bytesOut: 0, error: refusal.message }));
    return refusal;
  }

  function refusalStatus(err: unknown, auth?: Authorized): { code: number; message: string } {
    if (err instanceof NoAgentConnectionError && auth) {
      // The job knows its agent by context name, not by id: say both.
      const { agent, configProject } = auth.grant;
      return { code: 503, message: `agent ${agent.id} ("${configProject.fullPath}:${agent.name}") has no connected pods; is the agent running? check its logs` };
    }
    if (isKubegateError(err)) {
      const code = err.code === 'timeout' ? 504 : err.status;
      return { code, message: err.message };
    }
    log.error({ err }, 'k8s proxy request failed');
    return { code: 500, message: 'internal error in the proxy; the request was not forwarded (see the server log)' };
  }

  async function proxyRequest(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const started = Date.now();
    const auth = await admit(req, path, started);
    if ('code' in auth) {
      sendStatus(res, auth.code, auth.message, req);
      return;
    }
    const controller = new Cancellation();
    let bytesIn = 0;
    let bytesOut = 0;
    // The caller went away: cancel the request through the tunnel, so the agent and the
    // Kubernetes API stop working for nobody.
    res.on('close', () => {
      if (!res.writableFinished) controller.cancel();
    });
    track(auth.ctx.job.id, () => res.destroy(), res);
    const headerTimer = setTimeout(() => controller.cancel(new Error('timeout')), headersTimeoutMs);
    let status = 0;
    try {
      const bodyless = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || (req.headers['content-length'] === '0' && !req.headers['transfer-encoding']);
      const answer = await deps.tunnel.request(auth.grant.agent.id, {
        method: req.method ?? 'GET',
        path,
        headers: forwardHeaders(req, auth.identityHeader),
        body: bodyless ? null : req.pipe(new Transform({ transform: function countIn(chunk: Buffer, _enc, done) { bytesIn += chunk.length; done(null, chunk); } })),
        signal: controller,
      });
      clearTimeout(headerTimer);
      status = answer.status;
      const headers = responseHeaders(answer.headers);
      res.writeHead(answer.status, headers);
      // Streams (watch, logs -f) must reach kubectl as they come. A body of known length
      // follows at once: its head then leaves with the first chunk, one write (and one
      // TLS record) less per request.
      if (headers['content-length'] === undefined) res.flushHeaders();
      answer.body.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
      // Ended by us: a body cut by a lost connection still "ends" (http2 closes its
      // streams), and the caller must not take that for the whole answer.
      answer.body.pipe(res, { end: false });
      // A drain ends watches and `logs -f` on purpose and cleanly (client-go watches again
      // elsewhere): that is not a broken stream to report.
      let endedByDrain = false;
      if (isLongStream(path)) {
        const end = function endStreamCleanly(): void {
          endedByDrain = true;
          answer.body.unpipe(res);
          controller.cancel();
          res.end();
        };
        openStreams.add(end);
        res.once('close', () => openStreams.delete(end));
      }
      // Ends in one of three ways: the body's end reached the caller, the caller left,
      // or the body broke (an error, a reset, a close before its end: the agent or its
      // connection went away). Only the last one needs saying.
      const broken = await new Promise<boolean>((resolve) => {
        res.once('close', () => resolve(false));
        answer.body.once('error', () => resolve(true));
        answer.body.once('end', () => {
          const cut = answer.endedEarly?.() ?? false;
          if (!cut) res.end();
          resolve(cut);
        });
        answer.body.once('close', () => {
          if (!answer.body.readableEnded) resolve(true);
        });
      });
      let error: string | undefined;
      if (broken && !endedByDrain && !res.destroyed) {
        const lost = (await answer.connectionLost?.()) ?? null;
        const { agent, configProject } = auth.grant;
        error = lost
          ? `the connection to agent ${agent.id} ("${configProject.fullPath}:${agent.name}") ended (${lost}) while this request was streaming; run the command again`
          : `agent ${agent.id} ("${configProject.fullPath}:${agent.name}") ended the response early; check the agent's logs, then run the command again`;
        const how = endBrokenStream(req, res, answer.headers, error);
        log.info({ agentId: agent.id, jobId: auth.ctx.job.id, path, how, reason: lost }, 'a proxied stream broke on the agent side');
      }
      deps.audit.record(auditEvent(subjectOf(auth), req.method ?? 'GET', path, { status, started, bytesIn, bytesOut, ...(error ? { error } : {}) }));
    } catch (err) {
      clearTimeout(headerTimer);
      if (err instanceof TunnelAbortedError || controller.aborted) {
        const timedOut = controller.reason instanceof Error && controller.reason.message === 'timeout';
        if (timedOut) {
          status = 504;
          sendStatus(res, 504, `agent ${auth.grant.agent.id} ("${auth.grant.agent.name}") did not answer within ${headersTimeoutMs / 1000} s; check the agent's logs and the cluster's API server`);
        } else status = 499;
      } else {
        const { code, message } = refusalStatus(err, auth);
        status = code;
        sendStatus(res, code, message, req);
      }
      deps.audit.record(auditEvent(subjectOf(auth), req.method ?? 'GET', path, { status, started, bytesIn, bytesOut, error: (err as Error).message }));
    }
  }

  async function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): Promise<void> {
    const started = Date.now();
    const auth = await admit(req, path, started);
    if ('code' in auth) {
      sendStatusOnSocket(socket, auth.code, auth.message);
      return;
    }
    const controller = new Cancellation();
    socket.once('close', () => controller.cancel());
    track(auth.ctx.job.id, () => socket.destroy(), socket);
    let bytesIn = head.length;
    let bytesOut = 0;
    let status = 0;
    // Until the agent answers the upgrade, the same deadline as for plain requests; once
    // switched, the stream lives as long as both ends want it.
    const headerTimer = setTimeout(() => controller.cancel(new Error('timeout')), headersTimeoutMs);
    try {
      const answer = await deps.tunnel.upgrade(
        auth.grant.agent.id,
        { method: req.method ?? 'GET', path, headers: forwardHeaders(req, auth.identityHeader), signal: controller },
        String(req.headers.upgrade ?? ''),
      );
      clearTimeout(headerTimer);
      status = answer.status;
      const lines = [status === 101 ? 'HTTP/1.1 101 Switching Protocols' : `HTTP/1.1 ${status} Upstream Answer`];
      if (status === 101) lines.push('Connection: Upgrade', `Upgrade: ${req.headers.upgrade}`);
      for (const [name, value] of Object.entries(responseHeaders(answer.headers))) {
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      }
      if (status !== 101) lines.push('Connection: close');
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      const stream = answer.stream;
      if (status === 101 && head.length > 0) stream.write(head);
      stream.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
      stream.pipe(socket);
      if (status === 101) {
        socket.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
        socket.pipe(stream);
      }
      await new Promise<void>((resolve) => {
        // The caller left: nothing more can be delivered; cancel the upstream side.
        socket.once('close', () => {
          stream.destroy();
          resolve();
        });
        socket.once('error', () => socket.destroy());
        // The upstream side ended or broke: what was already written (a refusal's Status
        // body, an exec's exit status) must still reach the caller, so end the socket and
        // close it once flushed. Destroying it at once lost such bytes now and then.
        stream.once('close', () => {
          if (!socket.destroyed) socket.end(() => socket.destroy());
        });
        stream.once('error', () => undefined);
      });
      deps.audit.record(auditEvent(subjectOf(auth), req.method ?? 'GET', path, { status, started, bytesIn, bytesOut }));
    } catch (err) {
      clearTimeout(headerTimer);
      const timedOut = controller.reason instanceof Error && controller.reason.message === 'timeout';
      const { code, message } = timedOut
        ? { code: 504, message: `agent ${auth.grant.agent.id} ("${auth.grant.agent.name}") did not answer within ${headersTimeoutMs / 1000} s; check the agent's logs and the cluster's API server` }
        : refusalStatus(err, auth);
      status = controller.aborted && !timedOut ? 499 : code;
      sendStatusOnSocket(socket, code, message);
      deps.audit.record(auditEvent(subjectOf(auth), req.method ?? 'GET', path, { status, started, bytesIn, bytesOut, error: (err as Error).message }));
    }
  }

  return {
    handleRequest(req, res) {
      const path = upstreamPath(req.url ?? '');
      if (path === null) return false;
      proxyRequest(req, res, path).catch((err: unknown) => {
        log.error({ err }, 'k8s proxy request crashed');
        sendStatus(res, 500, 'internal error in the proxy (see the server log)');
      });
      return true;
    },
    closeJob(jobId) {
      const cuts = [...(openByJob.get(jobId) ?? [])];
      for (const cut of cuts) cut();
      return cuts.length;
    },
    endStreams() {
      const ends = [...openStreams];
      for (const end of ends) end();
      return ends.length;
    },
    closeAll() {
      const cuts = [...openByJob.values()].flatMap((set) => [...set]);
      for (const cut of cuts) cut();
      return cuts.length;
    },
    handleUpgrade(req, socket, head) {
      const path = upstreamPath(req.url ?? '');
      if (path === null) return false;
      socket.on('error', () => undefined);
      deps.trackInFlight?.(socket);
      proxyUpgrade(req, socket, head, path).catch((err: unknown) => {
        log.error({ err }, 'k8s proxy upgrade crashed');
        socket.destroy();
      });
      return true;
    },
  };
}
