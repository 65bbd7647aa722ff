import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldSelectorName, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';

const obj = (labels: Record<string, string>, name = 'a', phase?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', labels }, status: { phase } });

describe('selectors', () => {
  it('label selectors: equality, sets, existence', () => {
    const o = obj({ app: 'web', tier: 'gold' });
    assert.ok(parseLabelSelector('app=web,tier==gold')(o));
    assert.ok(!parseLabelSelector('app!=web')(o));
    assert.ok(parseLabelSelector('tier in (gold, silver),env notin (prod)')(o));
    assert.ok(!parseLabelSelector('tier notin (gold)')(o));
    assert.ok(parseLabelSelector('app,!env')(o));
    assert.ok(!parseLabelSelector('env')(o));
  });

  it('field selectors read nested fields; unset compares as empty', () => {
    const o = obj({}, 'x', 'Running');
    assert.ok(parseFieldSelector('metadata.name=x,metadata.namespace=ns')(o));
    assert.ok(parseFieldSelector('status.phase!=Pending')(o));
    assert.ok(parseFieldSelector('spec.nodeName=')(o));
    assert.equal(fieldSelectorName('metadata.name=x'), 'x');
    assert.equal(fieldSelectorName('status.phase=Running'), undefined);
  });
});
