// `?watch=true`: a chunked stream of JSON lines `{"type":…,"object":…}`.
// resourceVersion semantics: unset/"0" → synthetic ADDED for current state,
// then live; N → replay history after N (410 Expired if too old);
// sendInitialEvents=true → ADDED for current state + initial-events-end
// BOOKMARK (the WatchList protocol). Objects moving in/out of a selector
// become ADDED/DELETED, as with the real watch cache.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, storageKey, type ResourceDef } from '../api/resources.js';
import { parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import { gone } from '../api/status.js';
import type { StoreEvent, WatchEventType } from '../api/store.js';
import type { KubeObject } from '../api/types.js';
import type { SimContext } from '../context.js';
import { flushHeaders, wantsTable } from './io.js';
import type { RequestInfo } from './request-info.js';
import { buildTable } from './table.js';

type EventType = WatchEventType | 'BOOKMARK' | 'ERROR';

export function handleWatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, def: ResourceDef): void {
  const key = storageKey(def);
  const ns = def.namespaced ? info.namespace || undefined : undefined;
  const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
  const name = info.name && info.verb === 'watch' && !url.searchParams.get('fieldSelector') ? info.name : undefined;
  const table = wantsTable(req);
  const includeObject = url.searchParams.get('includeObject');
  const rvParam = url.searchParams.get('resourceVersion') ?? '';
  const sendInitial = url.searchParams.get('sendInitialEvents') === 'true';
  const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');

  const inScope = (o: KubeObject): boolean =>
    (ns === undefined || o.metadata.namespace === ns) && (name === undefined || o.metadata.name === name) && labels(o) && fields(o);

  let headersWritten = false;
  let headerColumns = true;
  function send(type: EventType, object: unknown): void {
    if (!headersWritten) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
      headersWritten = true;
    }
    res.write(JSON.stringify({ type, object }) + '\n');
  }
  function sendObject(type: WatchEventType, obj: KubeObject): void {
    ctx.objects.present(def, obj, info.apiVersion);
    if (table) {
      send(type, buildTable(def, [obj], obj.metadata.resourceVersion ?? '', includeObject, headerColumns));
      headerColumns = false;
    } else send(type, obj);
  }
  function translate(event: StoreEvent): void {
    if (event.key !== key) return;
    const now = inScope(event.object);
    const before = event.previous ? inScope(event.previous) : false;
    if (event.type === 'ADDED' && now) sendObject('ADDED', event.object);
    else if (event.type === 'MODIFIED') {
      if (now && before) sendObject('MODIFIED', event.object);
      else if (now) sendObject('ADDED', event.object);
      else if (before) sendObject('DELETED', event.object);
    } else if (event.type === 'DELETED' && before) sendObject('DELETED', event.object);
  }

  let backlog: StoreEvent[] = [];
  const startRv = ctx.store.currentRv();
  if (sendInitial || rvParam === '' || rvParam === '0') {
    for (const obj of ctx.objects.list(def, ns)) if (inScope(obj)) sendObject('ADDED', obj);
    if (sendInitial) {
      send('BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersionOf(def.group, info.apiVersion),
        metadata: { resourceVersion: String(startRv), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  } else {
    const since = ctx.store.eventsSince(Number(rvParam));
    if (since === undefined) {
      const err = gone(`too old resource version: ${rvParam} (${ctx.store.oldestResumableRv()})`);
      send('ERROR', err.toStatus());
      res.end();
      return;
    }
    backlog = since;
  }
  for (const event of backlog) translate(event);
  if (!headersWritten) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    headersWritten = true;
    flushHeaders(res);
  }

  const unsubscribe = ctx.store.subscribe(function watchListener(event) {
    translate(event);
  });
  const release = ctx.streams.open('watch');
  let timer: NodeJS.Timeout | undefined;
  function finish(): void {
    unsubscribe();
    release();
    if (timer) clearTimeout(timer);
    ctx.shutdown.removeEventListener('abort', finish);
    if (!res.writableEnded) res.end();
  }
  if (timeoutSeconds > 0) timer = setTimeout(finish, timeoutSeconds * 1000);
  ctx.shutdown.addEventListener('abort', finish);
  // The client going away ends the watch: no listener is left behind.
  res.on('close', finish);
  req.on('close', finish);
}
