/**
 * Runs `git http-backend` as a CGI for one request: the request body streams into it,
 * its response head is parsed and its body streams out, each side waiting for the
 * other (backpressure), so a large clone or push never sits in memory.
 */
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { parseCgiHead } from './cgi.js';
import { MAX_CGI_HEADER_BYTES, MAX_STDERR_BYTES } from './defaults.js';
import { gitEnv } from './git.js';

export interface BackendRequest {
  /** `GIT_PROJECT_ROOT`: the directory holding the repositories. */
  projectRoot: string;
  /** The path below it, e.g. `/12.git/git-upload-pack`. */
  pathInfo: string;
  method: string;
  /** The query string to pass (already normalised by the caller). */
  query: string;
  contentType: string | undefined;
  /** The authenticated user name, or '' for an anonymous request. */
  remoteUser: string;
  remoteAddr: string;
  /** The client's `Git-Protocol` header (protocol v2), already checked. */
  gitProtocol: string | undefined;
  /** More environment: per-request git configuration and hook variables. */
  env: Record<string, string>;
  /**
   * Hold the response head until the body is read in full, so that a body error is
   * still a clean 400. Only for bodies git answers after reading them whole (upload-pack
   * negotiation, the only one git compresses).
   */
  holdHeadUntilBodyEnd?: boolean;
  /**
   * Keep the response's last 4 bytes back (a receive-pack answer ends with a flush-pkt,
   * `0000`): the caller may add side-band messages before it (`BackendResult.heldTail`).
   */
  holdFinalFlush?: boolean;
}

/** Output held back while waiting for the body; past this it is sent anyway. */
const MAX_HELD_BYTES = 1024 * 1024;

export interface BackendResult {
  /** The status sent to the client; undefined when the backend failed before its head. */
  status: number | undefined;
  exitCode: number | null;
  stderr: string;
  /** With `holdFinalFlush`: the bytes held back, for the caller to write. */
  heldTail?: Buffer;
  /** Whether the body is side-band multiplexed (its first packet is on band 1, 2 or 3). */
  sideBand?: boolean;
}

/**
 * Streams `body` (null for none) through `git http-backend` into `res`. Resolves when
 * git has exited and all of its output is written, leaving `res` open so the caller
 * can finish its work before the client sees the end of the response. Kills git when
 * the client goes away.
 */
export function runHttpBackend(request: BackendRequest, body: Readable | null, res: ServerResponse): Promise<BackendResult> {
  const env = gitEnv({
    GIT_PROJECT_ROOT: request.projectRoot,
    PATH_INFO: request.pathInfo,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.query,
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: request.remoteAddr,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    ...(request.contentType ? { CONTENT_TYPE: request.contentType } : {}),
    ...(request.gitProtocol ? { HTTP_GIT_PROTOCOL: request.gitProtocol } : {}),
    ...request.env,
  });
  return new Promise(function runBackend(resolve, reject) {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let status: number | undefined;
    let pending: Buffer[] | null = [];
    let pendingBytes = 0;
    let bodyDone = body === null || !request.holdHeadUntilBodyEnd;
    let failure: Error | undefined;

    const fail = function failBackend(err: Error) {
      failure ??= err;
      child.kill('SIGKILL');
    };

    // Sends the response head once it is complete and, when asked, once the request
    // body has been read in full: http-backend answers 200 before reading the body, and
    // a body that turns out to be broken (bad gzip) must still get a 400.
    const sendHead = function sendHead(force = false) {
      if (pending === null || failure) return;
      const buf = Buffer.concat(pending);
      let parsed;
      try {
        parsed = parseCgiHead(buf);
      } catch (err) {
        return fail(err as Error);
      }
      if (parsed === null) {
        if (pendingBytes > MAX_CGI_HEADER_BYTES) fail(new Error(`git http-backend sent more than ${MAX_CGI_HEADER_BYTES} bytes without ending its headers`));
        return;
      }
      if (!bodyDone && !force && pendingBytes <= MAX_HELD_BYTES) return;
      pending = null;
      status = parsed.status;
      res.writeHead(parsed.status, parsed.statusText, parsed.headers.flat());
      const rest = buf.subarray(parsed.bodyStart);
      if (rest.length > 0) write(rest);
    };

    let tail = Buffer.alloc(0);
    let firstBody: Buffer | null = null;
    const write = function writeToClient(data: Buffer) {
      let chunk = data;
      if (firstBody === null || firstBody.length < 5) firstBody = Buffer.concat([firstBody ?? Buffer.alloc(0), data]).subarray(0, 5);
      if (request.holdFinalFlush) {
        const all = Buffer.concat([tail, data]);
        const keep = Math.min(4, all.length);
        chunk = all.subarray(0, all.length - keep);
        tail = all.subarray(all.length - keep);
        if (chunk.length === 0) return;
      }
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
    };

    child.stderr.on('data', function collectStderr(chunk: Buffer) {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
    });

    child.stdout.on('data', function forwardStdout(chunk: Buffer) {
      if (pending === null) return write(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      sendHead();
    });

    res.on('close', function clientGone() {
      // The response closed before we ended it: the client went away mid-stream.
      if (!res.writableEnded) child.kill('SIGTERM');
    });

    child.stdin.on('error', () => undefined); // git may stop reading early; its exit says why
    if (body) {
      body.on('error', (err) => fail(new Error(`reading the request body failed: ${err.message}`)));
      body.on('end', function bodyRead() {
        bodyDone = true;
        sendHead();
      });
      body.pipe(child.stdin);
    } else {
      child.stdin.end();
    }

    child.on('error', reject);
    child.on('close', function backendExited(code) {
      if (!failure) sendHead(true);
      if (failure) return reject(Object.assign(failure, { headersSent: status !== undefined, stderr }));
      const sideBand = firstBody !== null && firstBody.length === 5 && [1, 2, 3].includes(firstBody[4]!);
      resolve({ status, exitCode: code, stderr, ...(request.holdFinalFlush ? { heldTail: tail, sideBand } : {}) });
    });
  });
}
