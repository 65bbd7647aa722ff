/**
 * Environment slugs and tiers by GitLab's rules (lib/gitlab/slug/environment.rb and
 * Environment#guess_tier). The expected suffixes were computed independently
 * (sha256 hex → integer → base 36, last 6 characters).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSlug, guessTier, validateEnvironmentName } from './environments.js';
import { isKubegateError } from '../../lib/errors.js';

describe('environmentSlug', () => {
  const cases: Array<[string, string]> = [
    ['production', 'production'],
    ['review/feature-1', 'review-feature-1-1q251u'],
    ['PRODUCTION', 'production-vl4voz'],
    ['9-staging-123', 'env-9-staging-123-us90fu'],
    ['1/foo', 'env-1-foo-t4rmb4'],
    ['*-foo', 'env-foo-i1o6om'],
    ['foo--bar', 'foo-bar-q006cp'],
    ['review/1-foo', 'review-1-foo-9tdj0u'],
    ['staging-1234567890123456', 'staging-1234567890123456'],
    ['staging-12345678901234567', 'staging-123456789-s729ne'],
    ['staging-12345678-01234567', 'staging-12345678-f21q2q'],
    ['foo-', 'foo'],
    ['a'.repeat(30), `${'a'.repeat(17)}-16ttu2`],
  ];
  for (const [name, slug] of cases) {
    it(`${JSON.stringify(name)} → ${slug}`, () => {
      assert.equal(environmentSlug(name), slug);
    });
  }

  it('always gives a valid DNS-label-like slug of at most 24 characters', () => {
    for (const name of ['x', 'Review/Some_Branch.Name', '123', '---', 'ünïcödé', 'a/b/c/d/e/f/g/h/i/j/k/l/m/n']) {
      const slug = environmentSlug(name);
      assert.ok(slug.length <= 24, `${slug} is at most 24 characters`);
      assert.match(slug, /^[a-z]([a-z0-9-]*[a-z0-9])?$/, `${name} → ${slug}`);
      assert.doesNotMatch(slug, /--/);
    }
  });
});

describe('guessTier', () => {
  const cases: Array<[string, string]> = [
    ['review/x', 'development'],
    ['dev', 'development'],
    ['staging', 'staging'],
    ['pre-prod', 'staging'],
    ['prod', 'production'],
    ['production', 'production'],
    ['live', 'production'],
    ['qa', 'testing'],
    ['test', 'testing'],
    ['other', 'other'],
    ['canary', 'other'],
  ];
  for (const [name, tier] of cases) {
    it(`${name} → ${tier}`, () => assert.equal(guessTier(name), tier));
  }
});

describe('validateEnvironmentName', () => {
  it('accepts GitLab environment names and refuses the rest with a 400 naming the field', () => {
    for (const ok of ['production', 'review/feature-1', 'review/${CI_COMMIT_REF_SLUG}', 'a b.c_d']) assert.equal(validateEnvironmentName(ok), ok);
    for (const bad of ['', '/leading', 'trailing/', 'bad:colon', 'x'.repeat(256)]) {
      assert.throws(() => validateEnvironmentName(bad), (err: unknown) => isKubegateError(err) && err.status === 400 && /^name /.test(err.message), bad);
    }
  });
});
