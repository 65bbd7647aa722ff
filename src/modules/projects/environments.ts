/**
 * Environment names, slugs and tiers, by GitLab's rules, so that slugs and tiers seen by
 * RBAC (`gitlab:project_env:<id>:<slug>`) are the ones GitLab users already have.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../../lib/errors.js';
import type { EnvironmentTier } from '../../store/schema.js';

export const TIERS: readonly EnvironmentTier[] = ['production', 'staging', 'testing', 'development', 'other'];
const MAX_SLUG = 24;

/**
 * GitLab's environment slug: lower-case letters, digits and '-', starting with a letter,
 * at most 24 characters; a name that had to change gets a 6-character suffix derived
 * from the name, so two names never share a slug by accident.
 */
export function environmentSlug(name: string): string {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/g, '-');
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`;
  slug = slug.replace(/-{2,}/g, '-');
  if (slug.length > MAX_SLUG || slug !== name) {
    const head = slug.slice(0, 17);
    return `${head.endsWith('-') ? head : `${head}-`}${slugSuffix(name)}`;
  }
  return slug.replace(/-$/, '');
}

function slugSuffix(name: string): string {
  const hex = createHash('sha256').update(name, 'utf8').digest('hex');
  return BigInt(`0x${hex}`).toString(36).slice(-6);
}

/** The tier GitLab guesses from an environment's name when none is given. */
export function guessTier(name: string): EnvironmentTier {
  if (/(dev|review|trunk)/i.test(name)) return 'development';
  if (/(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)) return 'testing';
  if (/(st(a|)g|mod(e|)l|pre|demo|non)/i.test(name)) return 'staging';
  if (/(pr(o|)d|live)/i.test(name)) return 'production';
  return 'other';
}

const ENV_NAME = /^[A-Za-z0-9_\-/${}. ]+$/;

export function validateEnvironmentName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw badRequest(`${field} is missing`);
  if (name.length > 255) throw badRequest(`${field} is too long (maximum is 255 characters)`);
  if (!ENV_NAME.test(name)) {
    throw badRequest(`${field} can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces`);
  }
  if (name.startsWith('/') || name.endsWith('/')) throw badRequest(`${field} cannot start or end with '/'`);
  return name;
}

export function validateTier(tier: unknown, field = 'tier'): EnvironmentTier {
  if (typeof tier !== 'string' || !TIERS.includes(tier as EnvironmentTier)) {
    throw badRequest(`${field} must be one of ${TIERS.join(', ')}`);
  }
  return tier as EnvironmentTier;
}
