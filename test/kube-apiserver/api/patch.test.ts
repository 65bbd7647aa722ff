import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonMergePatch, jsonPatch, serverSideApply, strategicMergePatch } from './patch.js';

describe('patch', () => {
  it('JSON merge patch replaces lists and deletes with null', () => {
    assert.deepEqual(jsonMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] }), { a: 1, b: { d: 3, e: 4 }, l: [3] });
  });

  it('JSON patch add/replace/remove/test', () => {
    const doc = { metadata: { labels: { a: '1' } }, list: [1, 2] };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b~1c', value: '2' },
      { op: 'replace', path: '/list/0', value: 9 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'test', path: '/list/1', value: 2 },
    ]);
    assert.deepEqual(out, { metadata: { labels: { 'b/c': '2' } }, list: [9, 2, 3] });
    assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/list/0', value: 5 }]), /test failed/);
  });

  it('strategic merge patch merges containers by name and keeps others', () => {
    const live = { spec: { containers: [{ name: 'a', image: 'x:1', env: [{ name: 'E', value: '1' }] }, { name: 'b', image: 'y' }] } };
    const patch = {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }],
        containers: [{ name: 'a', image: 'x:2', env: [{ name: 'F', value: '2' }] }, { name: 'b', $patch: 'delete' }],
      },
    };
    assert.deepEqual(strategicMergePatch(live, patch), {
      spec: { containers: [{ name: 'a', image: 'x:2', env: [{ name: 'E', value: '1' }, { name: 'F', value: '2' }] }] },
    });
  });

  it('server-side apply removes what the same manager applied before and leaves out now', () => {
    const first = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', env: [{ name: 'HTTPS_PROXY', value: 'p' }, { name: 'X', value: '1' }], args: ['agent'] }] } };
    // Another writer (a controller, kubectl label) added a label the manager never applied.
    const live = structuredClone(first) as typeof first & { metadata: { labels: Record<string, string> } };
    live.metadata.labels.other = 'kept';
    const second = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'c', env: [{ name: 'X', value: '2' }], args: ['agent'] }] } };
    assert.deepEqual(serverSideApply(live, second, first), {
      metadata: { labels: { a: '1', other: 'kept' } },
      spec: { containers: [{ name: 'c', env: [{ name: 'X', value: '2' }], args: ['agent'] }] },
    });
    // Without a previous configuration (first apply by that manager) nothing is removed.
    assert.deepEqual((serverSideApply(live, second) as typeof first).metadata.labels, { a: '1', b: '2', other: 'kept' });
  });

  it('strategic merge patch orders keyed lists by $setElementOrder', () => {
    const live = { env: [{ name: 'B', value: '2' }, { name: 'C', value: '3' }] };
    const patch = { '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }, { name: 'C' }], env: [{ name: 'A', value: '1' }] };
    assert.deepEqual((strategicMergePatch(live, patch) as typeof live).env.map((e) => e.name), ['A', 'B', 'C']);
  });
});
