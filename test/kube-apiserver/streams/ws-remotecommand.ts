// exec/attach over WebSocket: the channel.k8s.io protocols. Each binary
// message starts with a channel byte (0 stdin, 1 stdout, 2 stderr,
// 3 error/status, 4 resize); v5 adds 255 = "close channel N" so the client
// can signal stdin EOF.

import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import type { CommandOptions, CommandStreams, OutputSink } from './remotecommand.js';

export const WS_REMOTECOMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

function channelSink(ws: WebSocket, channel: number): OutputSink {
  return {
    write(chunk) {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), chunk]));
    },
    // No server-side close frame: client-go only understands 255 from client to server.
    end() {},
  };
}

export function websocketCommandStreams(ws: WebSocket, options: CommandOptions): CommandStreams {
  const protocol = ws.protocol;
  const stdin = options.stdin ? new PassThrough() : undefined;
  const goneListeners: (() => void)[] = [];
  let finished = false;

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (buf.length === 0) return;
    const channel = buf[0]!;
    if (channel === STDIN && stdin && !stdin.writableEnded) stdin.write(buf.subarray(1));
    else if (channel === CLOSE && buf[1] === STDIN) stdin?.end();
  });
  ws.on('close', () => {
    stdin?.end();
    if (!finished) for (const l of goneListeners) l();
  });
  ws.on('error', () => ws.terminate());

  const stdout = options.stdout ? channelSink(ws, STDOUT) : undefined;
  const stderr = options.stderr && !options.tty ? channelSink(ws, STDERR) : undefined;
  // The kubelet writes one empty frame on the lowest writable channel to tell the client it is ready.
  const first = stdout ? STDOUT : stderr ? STDERR : ERROR;
  ws.send(Buffer.from([first]));

  return {
    stdin,
    stdout,
    stderr,
    tty: options.tty,
    finish(status) {
      if (finished) return;
      finished = true;
      if (ws.readyState !== ws.OPEN) return;
      const legacy = protocol === 'v3.channel.k8s.io' || protocol === 'v2.channel.k8s.io' || protocol === 'channel.k8s.io' || protocol === '';
      // Before v4 the error channel carried a plain message, and only on failure.
      if (!legacy) ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]));
      else if (status.status !== 'Success') ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(String(status.message ?? 'error'))]));
      ws.close(1000);
    },
    onClientGone(listener) {
      goneListeners.push(listener);
    },
  };
}
