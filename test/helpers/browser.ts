/**
 * Debian's Chromium driven by playwright-core, for the UI's end-to-end tests. Never a
 * browser download: the executable is `/usr/bin/chromium` (`CHROMIUM` to use another),
 * with a fresh profile per launch. `scripts/run-tests.mjs` skips the files that call
 * `launchChromium(` when it is missing (and fails on CI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const REPO = join(import.meta.dirname, '../..');
/** Where the tests leave a screenshot of each main page for a reviewer (git-ignored). */
export const SCREENSHOTS_DIR = join(REPO, 'test/e2e/screenshots');
export const DESKTOP = { width: 1280, height: 860 };
export const NARROW = { width: 390, height: 844 };

/**
 * Why the browser tests cannot run here, or false. On CI (`CI` set) never a reason: a
 * missing Chromium must fail the run there, not skip it.
 */
export function chromiumMissing(): string | false {
  if (process.env.CI || existsSync(CHROMIUM)) return false;
  return `Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
}

export interface Chromium {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and Content-Security-Policy violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** The UI must be built (npm test builds it); a lone test run builds it first. */
export function ensureWebBuilt(): void {
  if (existsSync(join(REPO, 'web/dist/index.html'))) return;
  const vite = join(REPO, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', join(REPO, 'web/vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit' });
  assert.equal(result.status, 0, 'building the web UI (vite build) failed');
}

export async function launchChromium(options: { timezoneId?: string } = {}): Promise<Chromium> {
  assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  const userDataDir = await mkdtemp(join(tmpdir(), 'kubegate-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: DESKTOP,
    locale: 'en-US',
    timezoneId: options.timezoneId ?? 'UTC',
    // The test server's CA is private; the browser is told to accept it like a user who installed it.
    ignoreHTTPSErrors: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to (execute|apply|load|connect|frame)/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/**
 * Runs axe-core on the page as it is now and fails on serious or critical violations
 * (colour contrast, missing labels, names of buttons and links, ARIA misuse …). The
 * script goes in through the DevTools protocol, which the page's CSP does not govern.
 */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`)) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n')}`).join('\n');
  assert.equal(bad.length, 0, `axe found serious violations on ${what}:\n${report}`);
}
