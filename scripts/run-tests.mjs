#!/usr/bin/env node
// Runs every test file (`*.test.ts` under src/ and test/) with node's test runner.
// Node 20's `--test` takes no globs, so the files are found here. Extra arguments are
// passed to node (e.g. `--test-name-pattern`), or name the files to run.
//
// Files that drive the real kubectl need it on the machine (it is on CI's image). When
// it is missing they are not run; a stand-in test per file is reported as skipped, with
// what is missing, so the summary says so instead of hiding it.
import { accessSync, constants, readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
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

function kubectlPath() {
  return process.env.KUBECTL ?? '/usr/bin/kubectl';
}

function hasKubectl() {
  try {
    accessSync(kubectlPath(), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const USES_KUBECTL = /kubectl\(|spawnKubectl|createKubectlEnv|startFixture\(/;

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
let files = named.length > 0 ? named : [...findTests('src'), ...findTests('test')].sort();

if (!hasKubectl()) {
  const skipped = files.filter((f) => USES_KUBECTL.test(readFileSync(f, 'utf8')));
  files = files.filter((f) => !skipped.includes(f));
  if (skipped.length > 0) {
    const reason = `kubectl is not installed at ${kubectlPath()} (set KUBECTL to its path, or install kubectl v1.32)`;
    const standIn = join(mkdtempSync(join(tmpdir(), 'kubegate-skips-')), 'kubectl-missing.test.mjs');
    writeFileSync(
      standIn,
      `import { test } from 'node:test';\n${skipped.map((f) => `test(${JSON.stringify(f)}, { skip: ${JSON.stringify(reason)} }, () => {});`).join('\n')}\n`,
    );
    // On CI nothing may skip: a missing kubectl is a broken machine, not a pass.
    if (process.env.CI) {
      process.stderr.write(`CI: ${reason}; ${skipped.length} test files need it\n`);
      process.exit(1);
    }
    files.push(standIn);
    process.stderr.write(`not running ${skipped.length} test files: ${reason}\n`);
  }
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
