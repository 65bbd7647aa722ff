import { readFileSync } from 'node:fs';

/**
 * This build's version (from package.json) and commit (from `KUBEGATE_COMMIT`, set at
 * image build time; "unknown" in a checkout).
 */
function readVersion(): string {
  // src/lib/ and dist/lib/ both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const VERSION = Object.freeze({ version: readVersion(), commit: process.env.KUBEGATE_COMMIT ?? 'unknown' });
