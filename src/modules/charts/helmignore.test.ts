import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHelmignore } from './helmignore.js';

test('.helmignore: base-name globs at any depth, directory-only and anchored patterns, comments', () => {
  const ignored = parseHelmignore('# comment\n\n*.swp\n.git/\nci/values-*.yaml\n?.tmp\n');
  assert.equal(ignored('a.swp', false), true);
  assert.equal(ignored('templates/b.swp', false), true);
  assert.equal(ignored('.git', true), true);
  assert.equal(ignored('.git', false), false, 'a trailing slash matches directories only');
  assert.equal(ignored('ci/values-prod.yaml', false), true);
  assert.equal(ignored('values-prod.yaml', false), false, 'a pattern with a slash is anchored to the chart root');
  assert.equal(ignored('x.tmp', false), true);
  assert.equal(ignored('xy.tmp', false), false);
  assert.equal(ignored('values.yaml', false), false);
  assert.equal(ignored('a.swp.txt', false), false);
});
