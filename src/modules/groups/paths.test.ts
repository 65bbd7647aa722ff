/**
 * GitLab's path rules: each rule refuses with a 400 that names the field and the rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathFromName, validateName, validatePath, MAX_PATH_LENGTH } from './paths.js';
import { isKubegateError } from '../../lib/errors.js';

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isKubegateError(err), String(err));
    assert.equal(err.status, 400);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('validatePath', () => {
  it('accepts GitLab paths', () => {
    for (const ok of ['a', 'my-group', 'My_Group.1', '_private', '9lives', 'x'.repeat(MAX_PATH_LENGTH), 'api-docs', 'gitlab']) {
      assert.equal(validatePath(ok, 'path', { topLevel: true }), ok);
    }
  });

  const rules: Array<[string, string, RegExp]> = [
    ['characters', 'has space', /^path can contain only letters, digits/],
    ['characters (slash)', 'a/b', /^path can contain only/],
    ['leading special character', '-lead', /^path must start with a letter, digit or '_'/],
    ['leading dot', '.hidden', /^path must start with/],
    ['ending in .git', 'repo.git', /^path cannot end in '\.git' or '\.atom'/],
    ['ending in .atom (any case)', 'feed.ATOM', /^path cannot end in '\.git' or '\.atom'/],
    ['consecutive specials', 'a--b', /^path cannot contain consecutive special characters/],
    ['consecutive mixed specials', 'a._b', /^path cannot contain consecutive special characters/],
    ['trailing dot', 'end.', /^path cannot end with '\.'/],
    ['too long', 'x'.repeat(MAX_PATH_LENGTH + 1), /^path is too long \(maximum is 255 characters\)/],
    ['missing', '', /^path is missing/],
  ];
  for (const [rule, path, message] of rules) {
    it(`refuses a path breaking the rule: ${rule}`, () => refused(() => validatePath(path), message));
  }

  it('reserves route words at the top level only, and a few everywhere', () => {
    refused(() => validatePath('-', 'path', { topLevel: true }), /^path /);
    for (const word of ['api', 'groups', 'users', 'metrics', 'API']) refused(() => validatePath(word, 'path', { topLevel: true }), /reserved name/);
    assert.equal(validatePath('api'), 'api', 'a subgroup or project may be called api');
    for (const word of ['info', 'objects', 'HEAD']) refused(() => validatePath(word), /reserved name/);
  });

  it('names the field it checks', () => {
    refused(() => validatePath('-x', 'username'), /^username /);
  });
});

describe('validateName and pathFromName', () => {
  it('accepts names with spaces and unicode, refuses empty and odd characters', () => {
    assert.equal(validateName('My Group (ops) + Team'), 'My Group (ops) + Team');
    assert.equal(validateName('Équipe'), 'Équipe');
    refused(() => validateName('   '), /^name is missing/);
    refused(() => validateName('semi;colon'), /^name can contain only/);
    refused(() => validateName('-dash'), /^name must start with/);
  });

  it('makes a valid path from a name', () => {
    assert.equal(pathFromName('My App'), 'my-app');
    assert.equal(pathFromName('Équipe  Ops!!'), 'equipe-ops');
    for (const name of ['My App', 'Équipe  Ops!!', 'a -- b', 'x.y_z']) validatePath(pathFromName(name));
  });
});
