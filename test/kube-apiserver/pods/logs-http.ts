// GET pods/<name>/log: container, follow, tailLines, timestamps,
// sinceSeconds, limitBytes. `follow` streams until the container ends, the
// pod is deleted, the client leaves, or the simulator closes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../api/status.js';
import type { SimContext } from '../context.js';
import { flushHeaders } from '../http/io.js';
import type { RequestInfo } from '../http/request-info.js';
import type { LogLine } from './log-buffer.js';

export async function handleLogs(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo): Promise<void> {
  if (info.verb !== 'get') throw badRequest('only GET is supported for pods/log');
  ctx.objects.get(ctx.registry.byResource('', 'v1', 'pods')!, info.namespace, info.name);
  const container = ctx.pods.container(info.namespace, info.name, url.searchParams.get('container'));
  if (url.searchParams.get('previous') === 'true') {
    throw badRequest(`previous terminated container "${container.name}" in pod "${info.name}" not found`);
  }
  if (!container.startedAt) {
    throw badRequest(`container "${container.name}" in pod "${info.name}" is waiting to start: ContainerCreating`);
  }
  const follow = url.searchParams.get('follow') === 'true';
  const timestamps = url.searchParams.get('timestamps') === 'true';
  const tailLines = url.searchParams.get('tailLines');
  const sinceSeconds = url.searchParams.get('sinceSeconds');
  let remainingBytes = url.searchParams.has('limitBytes') ? Number(url.searchParams.get('limitBytes')) : Number.POSITIVE_INFINITY;

  let lines: LogLine[] = container.logs.lines;
  if (sinceSeconds) {
    const since = Date.now() - Number(sinceSeconds) * 1000;
    lines = lines.filter((l) => Date.parse(l.time) >= since);
  }
  if (tailLines !== null && tailLines !== '' && Number(tailLines) >= 0) lines = Number(tailLines) === 0 ? [] : lines.slice(-Number(tailLines));

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  flushHeaders(res);
  let closed = false;
  function writeLine(line: LogLine): void {
    if (closed) return;
    let text = timestamps ? `${line.time.replace('Z', '000000Z').replace(/(\.\d{9})\d*Z$/, '$1Z')} ${line.text}` : line.text;
    if (remainingBytes <= 0) return finish();
    if (Buffer.byteLength(text) > remainingBytes) text = Buffer.from(text).subarray(0, remainingBytes).toString();
    remainingBytes -= Buffer.byteLength(text);
    res.write(text);
    if (remainingBytes <= 0) finish();
  }
  let unfollow: () => void = () => {};
  let release: () => void = () => {};
  function finish(): void {
    if (closed) return;
    closed = true;
    unfollow();
    release();
    ctx.shutdown.removeEventListener('abort', finish);
    res.end();
  }
  for (const line of lines) writeLine(line);
  if (!follow || container.logs.ended) return finish();
  unfollow = container.logs.follow({ line: writeLine, end: finish });
  release = ctx.streams.open('logs');
  ctx.shutdown.addEventListener('abort', finish);
  res.on('close', finish);
}
