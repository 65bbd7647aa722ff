/**
 * Ending a response whose agent side broke after its head was sent, so that kubectl
 * fails loudly instead of exiting 0 as if the stream had simply ended:
 *
 * - a JSON watch ends as the Kubernetes API ends one on failure: an `ERROR` event whose
 *   object is a `Status` naming the cause, then the end of the stream (`kubectl get -w`
 *   prints the message and exits 1);
 * - a followed log gets a last line naming the cause, then the connection is cut
 *   without the chunked terminator (`kubectl logs -f` exits 1: unexpected EOF);
 * - anything else is cut, as before (the client sees a truncated body, never a whole one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { statusObject } from './status.js';

export function endBrokenStream(req: IncomingMessage, res: ServerResponse, upstreamHeaders: IncomingHttpHeaders, message: string): 'watch_error_event' | 'log_line' | 'cut' {
  if (res.destroyed || res.writableEnded) return 'cut';
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const contentType = String(upstreamHeaders['content-type'] ?? '');
  if (isWatch(req, query) && /json/i.test(contentType)) {
    const event = { type: 'ERROR', object: statusObject(503, message) };
    res.end(`${JSON.stringify(event)}\n`);
    return 'watch_error_event';
  }
  if (isFollowedLog(req, query)) {
    res.write(`\nkubegate: ${message}\n`, () => res.destroy());
    return 'log_line';
  }
  res.destroy();
  return 'cut';
}

function isWatch(req: IncomingMessage, query: URLSearchParams): boolean {
  const watch = query.get('watch');
  return watch === 'true' || watch === '1' || /\/watch\//.test((req.url ?? '').split('?')[0]!);
}

function isFollowedLog(req: IncomingMessage, query: URLSearchParams): boolean {
  const follow = query.get('follow');
  return (follow === 'true' || follow === '1') && /\/pods\/[^/]+\/log$/.test((req.url ?? '').split('?')[0]!);
}
