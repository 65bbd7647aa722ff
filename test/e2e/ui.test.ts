/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against a
 * real server on HTTPS, a real agent and the Kubernetes API simulator: what a platform
 * engineer does, step by step. The agent is installed with the installation command the
 * page shows, run as printed with the real helm, and started as the installed Deployment's
 * pod would run (test/helpers/pod.ts). Each main page is checked with axe-core and
 * photographed into test/e2e/screenshots/ (git-ignored) for a reviewer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/agent.js';
import { pushFiles } from '../helpers/git.js';
import { createJob } from '../helpers/ci.js';
import { createHelmHome, findHelm, REPO_ROOT, type HelmHome } from '../helpers/helm.js';
import { runDeploymentPod, type PodProcess } from '../helpers/pod.js';
import { assertAccessible, chromiumMissing, ensureWebBuilt, launchChromium, NARROW, DESKTOP, screenshot, type Chromium } from '../helpers/browser.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';
import { kubectl, kubeconfigYaml } from '../kube-apiserver/testing/kubectl.js';
import { VERSION } from '../../src/lib/version.js';

const PROJECT = 'platform/clusters';
/** Chromium runs in a zone other than the server's UTC, to see times shown in the user's zone. */
const TIME_ZONE = 'Asia/Tokyo';
const helm = await findHelm(3);

/**
 * docs/install.md's example of the command (the `text` block under "Register and
 * install" that starts with `helm repo add`), for this server, token and CA file: what
 * the page shows must be what the installation guide describes.
 */
async function documentedCommand(input: { serverUrl: string; token: string; caFile: string }): Promise<string> {
  const page = await readFile(join(REPO_ROOT, 'docs/install.md'), 'utf8');
  const example = /```text\n(helm repo add [^`]*?)\n```/.exec(page.slice(page.indexOf('## Register and install')))?.[1];
  assert.ok(example, 'docs/install.md shows the install command under "Register and install"');
  const origin = 'https://kubegate.example.com';
  return `${example
    .replaceAll(origin, input.serverUrl)
    .replaceAll(origin.replace('https', 'wss'), input.serverUrl.replace('https', 'wss'))
    .replaceAll('kgagent-…', input.token)
    .replaceAll('/home/me/kubegate-ca.pem', input.caFile)
    .replace('image.tag=0.1.0', `image.tag=${VERSION.version}`)}\n`;
}

function sh(code: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('sh', ['-e', '-c', code], { ...options, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the web UI in Chromium', { skip: chromiumMissing() || helm.missing }, () => {
  let server: TestServer;
  let sim: KubeApiSimulator;
  let browser: Chromium;
  let page: Page;
  let agentToken = '';
  /** The installation command as the page shows it, and the directory it is run in (where the CA file was saved). */
  let installCommand = '';
  let work: string;
  let helmHome: HelmHome;
  let agent: PodProcess | undefined;

  before(async () => {
    ensureWebBuilt();
    sim = await startKubeApiServer();
    server = await startTestServer({ tls: true });
    browser = await launchChromium({ timezoneId: TIME_ZONE });
    page = browser.page;
    work = await mkdtemp(join(tmpdir(), 'kubegate-ui-install-'));
    helmHome = await createHelmHome(helm.path!, kubeconfigYaml({ server: sim.url, caCert: sim.caCert, token: sim.adminToken }));
  });

  after(async () => {
    await agent?.terminate();
    await browser?.close();
    await server?.close();
    await sim?.close();
    await helmHome?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The number of full page loads so far: "without a reload" means it does not change. */
  let loads = 0;
  before(() => {
    page.on('load', () => (loads += 1));
  });

  function badge(agentName: string) {
    return page.locator(`tr[data-agent="${agentName}"] [data-status]`);
  }

  test('a visitor is sent to sign in, and signs in with a personal access token', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/clusters`);
    await page.getByRole('heading', { name: 'Sign in to Kubegate' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/users/sign_in');
    assert.equal(new URL(page.url()).searchParams.get('redirect'), `/${PROJECT}/-/clusters`);
    await assertAccessible(page, 'the sign-in page');
    await screenshot(page, '01-sign-in');

    await page.getByLabel('Personal access token').fill('kgpat-not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'the token is not valid' }).waitFor();

    // Again with the keyboard alone: Tab to each field, Enter to send.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Kubegate' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.name'), 'token');
    await page.keyboard.type(server.rootToken);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.name'), 'username');
    await page.keyboard.type('root');
    await page.keyboard.press('Enter');
    // The project does not exist yet: the page it was headed for says so, in words.
    await page.getByText('404 Project Not Found').waitFor();
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'kubegate_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'no script can read the session');
  });

  test('groups and projects: create, list, add a member', async () => {
    await page.goto(`${server.url}/dashboard/groups`);
    await page.getByText('No groups yet').waitFor();
    await page.getByRole('link', { name: 'New group' }).click();
    await page.getByLabel('Group name').fill('Platform');
    assert.equal(await page.getByLabel('Group path').inputValue(), 'platform');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'Platform', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/groups/platform');
    await screenshot(page, '02-group');

    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByLabel('Project name').fill('Clusters');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/${PROJECT}`);
    // Timestamps are in the browser's zone, the exact time on hover.
    const created = page.locator('dd time');
    assert.match((await created.getAttribute('title')) ?? '', /GMT\+9/);
    await assertAccessible(page, 'the project page');
    await screenshot(page, '03-project');

    // A second project in the same group, to see the list and a name conflict.
    await page.goto(`${server.url}/projects/new`);
    await page.getByLabel('Project name').fill('Clusters');
    await page.getByLabel('Namespace').selectOption({ label: 'platform' });
    await page.getByRole('button', { name: 'Create project' }).click();
    const pathError = page.locator('.field-invalid', { has: page.getByLabel('Project path (optional)') });
    await pathError.getByText(/has already been taken|already exists|taken/).waitFor();

    await page.goto(`${server.url}/dashboard/projects`);
    await page.getByRole('link', { name: 'Platform / Clusters' }).waitFor();
    await assertAccessible(page, 'the projects list');
    await screenshot(page, '04-projects');

    const user = await server.api('POST', '/users', { username: 'alice', name: 'Alice Example' });
    assert.equal(user.status, 201);
    await page.goto(`${server.url}/${PROJECT}/-/project_members`);
    await page.getByLabel('User name').fill('nobody');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('There is no user named "nobody"').waitFor();
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Role').selectOption({ label: 'Maintainer' });
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('cell', { name: 'Alice Example @alice' }).waitFor();
    await page.getByRole('row', { name: /Alice Example @alice Maintainer/ }).waitFor();
    await assertAccessible(page, 'the members page');
    await screenshot(page, '05-project-members');
  });

  test('connect a cluster: the name is checked as typed; the token is shown once', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/clusters`);
    await page.getByText('No agents yet').waitFor();
    // The first Tab offers to skip the menus.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await assertAccessible(page, 'the empty clusters page');
    await screenshot(page, '06-clusters-empty');

    await page.getByRole('link', { name: 'Connect a cluster' }).first().click();
    const name = page.getByLabel('Agent name');
    await name.pressSequentially('Prod');
    await page.getByText('name "Prod" must be lower case: use "prod"').waitFor();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'the connect form with an error');
    await screenshot(page, '07-connect-invalid-name');
    await name.fill('prod');
    const tokenAnswer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/cluster_agents\/\d+\/tokens$/.test(new URL(r.url()).pathname));
    await name.press('Enter');
    const answer = await (await tokenAnswer).json();

    await page.getByText('You will not see this token again.').waitFor();
    agentToken = await page.getByLabel('Token “prod”').inputValue();
    assert.match(agentToken, /^kgagent-[A-Za-z0-9]{32}$/);
    assert.equal(agentToken, answer.token);
    // The command shown is the server's, character for character, and the guide's.
    installCommand = (await page.getByLabel('Installation command').textContent()) ?? '';
    assert.equal(installCommand, answer.install.command);
    assert.equal(installCommand, await documentedCommand({ serverUrl: server.url, token: agentToken, caFile: 'kubegate-ca.pem' }));
    // The command reads the server's private CA from a file: the page says how to get it.
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download kubegate-ca.pem' }).click();
    const caFile = await download;
    assert.equal(caFile.suggestedFilename(), answer.install.ca_cert_file);
    await caFile.saveAs(join(work, caFile.suggestedFilename()));
    assert.equal(await readFile(join(work, 'kubegate-ca.pem'), 'utf8'), server.caCert);
    assert.equal(answer.install.ca_cert, server.caCert);
    await page.getByRole('button', { name: 'Copy token' }).click();
    await page.getByText('Copied').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), agentToken);
    await assertAccessible(page, 'the token panel');
    await screenshot(page, '08-token-shown-once');

    await page.reload();
    await page.getByLabel('Agent name').waitFor();
    assert.equal(await page.getByLabel('Token “prod”').count(), 0);
    assert.ok(!(await page.content()).includes(agentToken), 'the token is gone after a reload');
    const stored = String(await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }, history.state])'));
    assert.ok(!stored.includes(agentToken), 'the token was kept nowhere in the browser');
  });

  test('the command, run as printed, installs an agent whose badge turns connected without a reload', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/clusters?tab=agent`);
    await badge('prod').and(page.locator('[data-status="neverConnected"]')).waitFor();
    const loadsBefore = loads;
    const install = await sh(installCommand, { cwd: work, env: helmHome.env });
    assert.equal(install.code, 0, `${installCommand}\n--- stdout\n${install.stdout}\n--- stderr\n${install.stderr}`);
    // What docs/install.md says the chart creates, named after the release.
    const caMap = sim.get('v1', 'ConfigMap', 'kubegate-agent-prod', 'prod-kubegate-agent-kas-ca') as { data?: Record<string, string> } | undefined;
    assert.equal(caMap?.data?.['ca.crt']?.trim(), server.caCert!.trim());
    const secret = sim.get('v1', 'Secret', 'kubegate-agent-prod', 'prod-kubegate-agent-token') as { data?: { token?: string } } | undefined;
    assert.equal(Buffer.from(secret?.data?.token ?? '', 'base64').toString(), agentToken);
    // kubelet's part: the Deployment's container runs as a pod would.
    agent = await runDeploymentPod(sim, 'kubegate-agent-prod', 'prod-kubegate-agent', { podName: 'prod-agent-7f9c' });
    await badge('prod').and(page.locator('[data-status="connected"]')).waitFor({ timeout: 30_000 });
    assert.equal(loads, loadsBefore, 'the page was not reloaded');
    const row = page.locator('tr[data-agent="prod"]');
    await row.getByText('1 pod').waitFor();
    const version = (await server.api('GET', '/version')).body.version as string;
    await row.getByText(version, { exact: true }).waitFor();
    await row.getByText(/^v1\.32\./).waitFor();
    await assertAccessible(page, 'the clusters page with a connected agent');
    await screenshot(page, '09-clusters-connected');
    await page.setViewportSize(NARROW);
    await row.getByText('Connected').waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(overflow <= 0, `the narrow layout does not scroll sideways (${overflow}px too wide)`);
    await screenshot(page, '10-clusters-connected-narrow');
    await page.setViewportSize(DESKTOP);
  });

  test('the agent page: connections, configuration in force, CI/CD access, and the audit of its requests, filtered by job', async () => {
    const commit = await pushFiles(server, PROJECT, {
      '.gitlab/agents/prod/config.yaml': 'ci_access:\n  groups:\n    - id: platform\n      default_namespace: apps\n      access_as:\n        ci_job: {}\n',
    });
    await page.goto(`${server.url}/${PROJECT}/-/cluster_agents/prod`);
    await page.getByRole('rowheader', { name: 'kubegate-agent-prod/prod-agent-7f9c' }).waitFor();
    await page.getByText(`at commit ${commit.slice(0, 12)}`).waitFor();
    await page.getByRole('table', { name: /Groups/ }).getByRole('row', { name: /platform apps ci_job any No/ }).waitFor();
    await assertAccessible(page, 'the agent overview');
    await screenshot(page, '11-agent-overview');

    // Two CI jobs use the agent through the proxy, each with the real kubectl.
    const jobs = [await createJob(server, PROJECT), await createJob(server, PROJECT)];
    try {
      for (const job of jobs) {
        const run = await kubectl(job.kenv, ['--context', `${PROJECT}:prod`, 'get', 'configmaps', '-n', 'default']);
        assert.equal(run.code, 0, run.stderr);
      }
    } finally {
      await Promise.all(jobs.map((j) => j.kenv.cleanup()));
    }
    // The audit log is stored in batches: the page is opened once both requests are stored.
    const agentId = (await server.api('GET', `/projects/${encodeURIComponent(PROJECT)}/cluster_agents`)).body[0].id as number;
    await eventually(async () => ((await server.api('GET', `/audit_events?agent_id=${agentId}`)).body.length >= 2 ? true : undefined), 10_000, 'audit events stored');
    await page.getByRole('navigation', { name: 'Agent' }).getByRole('link', { name: 'Activity' }).click();
    const activity = page.getByRole('table', { name: 'Proxied requests' });
    await activity.locator('tbody tr').nth(1).waitFor();
    await page.getByLabel('Job').fill(String(jobs[1]!.id));
    await page.getByRole('button', { name: 'Filter' }).click();
    await activity.getByText(`job ${jobs[1]!.id} in ${PROJECT}`).first().waitFor();
    assert.equal(await activity.getByText(`job ${jobs[0]!.id} in ${PROJECT}`).count(), 0);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('tab'), 'activity');
    assert.equal(url.searchParams.get('job_id'), String(jobs[1]!.id));
    // The filtered view is a bookmark: opened again, it shows the same.
    await page.goto(url.toString());
    await activity.getByText(`job ${jobs[1]!.id} in ${PROJECT}`).first().waitFor();
    await activity.getByRole('cell', { name: /list configmaps default/ }).first().waitFor();
    await activity.getByText('@root').first().waitFor();
    await assertAccessible(page, 'the agent activity');
    await screenshot(page, '12-agent-activity');
  });

  test('a bad push shows the configuration error with its line and column, linked to the file', async () => {
    await pushFiles(server, PROJECT, {
      '.gitlab/agents/prod/config.yaml': 'ci_access:\n  projects:\n    - id: platform/clusters\n      default-namespace: apps\n',
    });
    await page.goto(`${server.url}/${PROJECT}/-/clusters`);
    const link = page.getByRole('link', { name: '.gitlab/agents/prod/config.yaml, line 4, column 7' });
    await link.waitFor();
    await page.locator('tr[data-agent="prod"]').getByText('1 error').waitFor();
    await page.getByText(/default-namespace/).first().waitFor();
    await page.getByText('the agent keeps the last valid configuration', { exact: false }).waitFor();
    await assertAccessible(page, 'the clusters page with a configuration error');
    await screenshot(page, '13-configuration-error');
    await link.click();
    const marked = page.locator('tr.line-marked');
    await marked.waitFor();
    assert.equal(await marked.getAttribute('id'), 'L4');
    assert.match((await marked.textContent()) ?? '', /default-namespace: apps/);
    assert.equal(new URL(page.url()).hash, '#L4');
    await assertAccessible(page, 'the file view');
    await screenshot(page, '14-configuration-file-line');
  });

  test('revoking the token drops the connection, and the badge says so without a reload', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/cluster_agents/prod?tab=tokens`);
    await page.getByText('at most 2 active tokens', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Revoke token prod' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm revoking token prod' });
    await confirm.getByRole('button', { name: 'Revoke token prod' }).click();
    await page.locator('tr[data-token="prod"]').getByText('Revoked').waitFor();
    await screenshot(page, '15-agent-tokens-revoked');
    const loadsBefore = loads;
    await page.getByRole('navigation', { name: 'Agent' }).getByRole('link', { name: 'Overview' }).click();
    await page.locator('[data-status="notConnected"]').waitFor({ timeout: 15_000 });
    await page.getByText('No connected pods').waitFor();
    assert.equal(loads, loadsBefore, 'the page was not reloaded');
    // The agent was told why.
    await agent!.waitForLog((l) => /the agent token was revoked/.test(String(l.msg)));
  });

  test('certificate-based clusters: the deprecation banner, a refused form, then an added cluster', async () => {
    await page.goto(`${server.url}/${PROJECT}/-/clusters?tab=certificate_based`);
    await page.getByRole('heading', { name: 'Certificate-based clusters are deprecated' }).waitFor();
    await page.getByText('No certificate-based clusters').waitFor();
    await page.getByRole('link', { name: 'Add existing cluster' }).first().click();
    await page.getByLabel('Kubernetes cluster name').fill('legacy-prod');
    await page.getByLabel('Environment scope').fill('production');
    await page.getByLabel('API URL').fill('http://kubernetes.example.com:6443');
    await page.getByLabel('Service token').fill('legacy-service-account-token');
    await page.getByRole('button', { name: 'Add Kubernetes cluster' }).click();
    const apiUrlField = page.locator('.field-invalid', { has: page.getByLabel('API URL') });
    await apiUrlField.getByText('must be an https:// URL of the Kubernetes API').waitFor();
    await assertAccessible(page, 'the add-cluster form with an error');
    await screenshot(page, '16-add-certificate-cluster-error');

    await page.getByLabel('API URL').fill('https://kubernetes.example.com:6443');
    await page.getByRole('button', { name: 'Add Kubernetes cluster' }).click();
    const row = page.getByRole('row', { name: /legacy-prod production https:\/\/kubernetes\.example\.com:6443/ });
    await row.waitFor();
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'certificate_based');
    await assertAccessible(page, 'the certificate-based clusters tab');
    await screenshot(page, '17-certificate-clusters');
    const listed = await server.api('GET', `/projects/${encodeURIComponent(PROJECT)}/clusters`);
    assert.equal(listed.body[0].environment_scope, 'production');
  });

  test('sign out ends the session; the browser saw no script error and no CSP violation', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Kubegate' }).waitFor();
    const res = await page.request.get(`${server.url}/api/v4/user`);
    assert.equal(res.status(), 401);
    assert.deepEqual(browser.problems, []);
  });
});
