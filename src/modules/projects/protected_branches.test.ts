/**
 * Protected branch names and patterns: Git's branch-name rules (plus `*`), and anchored
 * wildcard matching that never protects more than the pattern says.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { branchPatternMatches, invalidBranchPattern, isProtected } from './protected_branches.js';

describe('branchPatternMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['main', 'main', true],
    ['main', 'main2', false],
    ['release-*', 'release-1', true],
    ['release-*', 'pre-release-1', false],
    ['release/*', 'release/1.2/hotfix', true],
    ['*-stable', '1-0-stable', true],
    ['*', 'anything/at/all', true],
    ['v1.*', 'v1x2', false],
    ['feat(x)*', 'feat(x)-1', true],
  ];
  for (const [pattern, branch, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${branch}`, () => assert.equal(branchPatternMatches(pattern, branch), expected));
  }
  it('isProtected is true when any pattern matches', () => {
    assert.equal(isProtected(['main', 'release/*'], 'release/2'), true);
    assert.equal(isProtected(['main', 'release/*'], 'dev'), false);
    assert.equal(isProtected([], 'main'), false);
  });
});

describe('invalidBranchPattern', () => {
  it('agrees with git check-ref-format --branch on names without *', () => {
    const names = ['main', 'feature/x', 'a.b', 'HEAD', 'foo.lock', 'foo.lock/bar', 'foo/.bar', '.hidden', 'a/b.', '-x', 'a..b', 'x@{y', 'a b', 'a~b', 'a^b', 'a:b', 'a?b', 'a[b', 'a\\b', '/a', 'a/', 'a//b', 'ünï'];
    for (const name of names) {
      let gitAccepts = true;
      try {
        execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
      } catch {
        gitAccepts = false;
      }
      assert.equal(invalidBranchPattern(name) === null, gitAccepts, `${JSON.stringify(name)}: git ${gitAccepts ? 'accepts' : 'refuses'} it, we said ${invalidBranchPattern(name) ?? 'ok'}`);
    }
  });

  it('refuses @, which check-ref-format --branch reads as HEAD but `git branch @` refuses', () => {
    assert.equal(invalidBranchPattern('@'), "cannot be '@'");
  });

  it('allows * for patterns and explains refusals', () => {
    assert.equal(invalidBranchPattern('release/*'), null);
    assert.equal(invalidBranchPattern(''), 'is missing');
    assert.match(invalidBranchPattern('x'.repeat(256)) ?? '', /too long/);
  });
});
