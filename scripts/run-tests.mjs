#!/usr/bin/env node
// Runs every test file (`*.test.ts` under src/ and test/) with node's test runner.
// Node 20's `--test` takes no globs, so the files are found here. Extra arguments are
// passed to node (e.g. `--test-name-pattern`), or name the files to run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const files = named.length > 0 ? named : [...findTests('src'), ...findTests('test')].sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
