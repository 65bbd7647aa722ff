#!/usr/bin/env node
// Runs every test file (`*.test.ts` under src/ and test/) with node's test runner.
// Node 20's `--test` takes no globs, so the files are found here. Extra arguments are
// passed to node (e.g. `--test-name-pattern`), or name the files to run.
//
// Files that drive the real kubectl or Chromium need them on the machine (.ci/run
// installs them). When one is missing those files are not run; a stand-in test per file
// is reported as skipped, with what is missing, so the summary says so instead of hiding
// it. The web UI's component tests (Vitest) run first, in their own runner.
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

function chromiumPath() {
  return process.env.CHROMIUM ?? '/usr/bin/chromium';
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Programs some test files drive, and how to recognise those files.
const REQUIREMENTS = [
  {
    name: 'kubectl',
    uses: /kubectl\(|spawnKubectl|createKubectlEnv|startFixture\(/,
    present: () => executable(kubectlPath()),
    reason: () => `kubectl is not installed at ${kubectlPath()} (set KUBECTL to its path, or install kubectl v1.32)`,
  },
  {
    name: 'chromium',
    uses: /launchChromium\(/,
    present: () => executable(chromiumPath()),
    reason: () => `Chromium is not installed at ${chromiumPath()} (apt-get install chromium, or set CHROMIUM to its path)`,
  },
];

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
let files = named.length > 0 ? named : [...findTests('src'), ...findTests('test')].sort();

const standIns = [];
for (const requirement of REQUIREMENTS) {
  if (requirement.present()) continue;
  const skipped = files.filter((f) => requirement.uses.test(readFileSync(f, 'utf8')));
  if (skipped.length === 0) continue;
  files = files.filter((f) => !skipped.includes(f));
  const reason = requirement.reason();
  // On CI nothing may skip: a missing program is a broken machine, not a pass.
  if (process.env.CI) {
    process.stderr.write(`CI: ${reason}; ${skipped.length} test files need it\n`);
    process.exit(1);
  }
  const standIn = join(mkdtempSync(join(tmpdir(), 'kubegate-skips-')), `${requirement.name}-missing.test.mjs`);
  writeFileSync(standIn, `import { test } from 'node:test';\n${skipped.map((f) => `test(${JSON.stringify(f)}, { skip: ${JSON.stringify(reason)} }, () => {});`).join('\n')}\n`);
  standIns.push(standIn);
  process.stderr.write(`not running ${skipped.length} test files: ${reason}\n`);
}
files.push(...standIns);

// The web UI's component tests (Vitest, jsdom) run first when the whole suite runs; a
// failure there fails the run, after node's tests have run too.
let webFailed = false;
if (named.length === 0) {
  const vitest = spawnSync(process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join('web', 'vite.config.ts')], { stdio: 'inherit' });
  webFailed = vitest.status !== 0;
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files],
  { stdio: 'inherit' },
);
if (webFailed) process.stderr.write('the web UI component tests (vitest, above) failed\n');
process.exit(webFailed ? 1 : (result.status ?? 1));
