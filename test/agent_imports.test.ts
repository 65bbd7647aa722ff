/**
 * The agent must stay small: nothing of the server is in its import graph, directly or
 * through another file (the lint rule sees only direct imports).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const SERVER_PACKAGES = ['fastify', 'kysely', 'better-sqlite3', 'pg', 'ioredis', 'prom-client/server'];

function importGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files: [...files].map((f) => relative(ROOT, f)), packages: [...packages] };
}

test('the agent binary imports no server code and no server-only library', () => {
  const { files, packages } = importGraph(join(ROOT, 'src/agent/main.ts'));
  assert.ok(files.includes('src/modules/tunnel/agent.ts'), 'the walk follows imports');
  const serverFiles = files.filter((f) => /^src\/(server|store)\//.test(f) || /^src\/modules\/[^/]+\/(server|api)[^/]*\.ts$/.test(f));
  assert.deepEqual(serverFiles, []);
  assert.deepEqual(packages.filter((p) => SERVER_PACKAGES.includes(p)), []);
});
