// exec/attach over SPDY (remotecommand v2–v4): the client opens one stream
// per standard stream, tagged with a `streamType` header. Once all expected
// streams exist the session runs; the Status goes to the error stream,
// then every stream gets FIN and the connection closes.

import type { SimContext } from '../context.js';
import type { RequestInfo } from '../http/request-info.js';
import type { SpdyConnection, SpdyStream } from '../spdy/connection.js';
import { runAttach, runExec, type CommandOptions, type CommandStreams, type OutputSink } from './remotecommand.js';

const STREAM_WAIT_MS = 30_000;

function sink(stream: SpdyStream | undefined): OutputSink | undefined {
  if (!stream) return undefined;
  return {
    write: (chunk) => {
      if (!stream.writableEnded && !stream.destroyed) stream.write(chunk);
    },
    end: () => {
      if (!stream.writableEnded && !stream.destroyed) stream.end();
    },
  };
}

export function spdyCommandSession(ctx: SimContext, info: RequestInfo, options: CommandOptions, conn: SpdyConnection, protocol: string): void {
  const expected = new Set(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr && !options.tty) expected.add('stderr');
  if (options.tty && protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io') expected.add('resize');
  const got = new Map<string, SpdyStream>();
  const timer = setTimeout(() => conn.close(), STREAM_WAIT_MS);
  let started = false;

  conn.on('stream', function onCommandStream(stream) {
    const type = stream.headers.streamtype ?? '';
    got.set(type, stream);
    // Streams the client only reads from get our FIN when the session ends; drain what they send.
    if (type !== 'stdin') stream.resume();
    if (!started && [...expected].every((t) => got.has(t))) {
      started = true;
      clearTimeout(timer);
      start();
    }
  });

  function start(): void {
    const errorStream = got.get('error')!;
    const goneListeners: (() => void)[] = [];
    let finished = false;
    conn.on('close', () => {
      if (!finished) for (const l of goneListeners) l();
    });
    const streams: CommandStreams = {
      stdin: got.get('stdin'),
      stdout: sink(got.get('stdout')),
      stderr: sink(got.get('stderr')),
      tty: options.tty,
      finish(status) {
        if (finished) return;
        finished = true;
        const v4 = protocol === 'v4.channel.k8s.io';
        if (v4) errorStream.write(Buffer.from(JSON.stringify(status)));
        else if (status.status !== 'Success') errorStream.write(Buffer.from(String(status.message ?? 'error')));
        errorStream.end();
        for (const s of got.values()) if (!s.writableEnded) s.end();
        // Close after the FINs are queued; the client reads every stream to EOF first.
        setTimeout(() => conn.close(), 50);
      },
      onClientGone(listener) {
        goneListeners.push(listener);
      },
    };
    let container;
    try {
      container = ctx.pods.runningContainer(info.namespace, info.name, options.container);
    } catch (err) {
      streams.finish({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'BadRequest', code: 400 });
      return;
    }
    if (info.subresource === 'exec') runExec(ctx.pods, container, options.command, streams);
    else runAttach(container, streams);
  }
}
