/**
 * The install command in the REST API: Kubegate's `install` extension of the token answer
 * (GitLab's fields unchanged), with the server's private CA when it has one, the caller's
 * release and namespace, and bad install options refused before any token exists.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { VERSION } from '../../src/lib/version.js';

let plain: TestServer;
let tls: TestServer;

before(async () => {
  [plain, tls] = await Promise.all([startTestServer(), startTestServer({ tls: true })]);
});

after(async () => {
  await Promise.all([plain?.close(), tls?.close()]);
});

async function newAgent(server: TestServer, name: string): Promise<string> {
  const project = await ensureProject(server, 'platform/clusters');
  const agent = await server.api('POST', `/projects/${project.id}/cluster_agents`, { name });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  return `/projects/${project.id}/cluster_agents/${agent.body.id}/tokens`;
}

test("a new token's answer carries GitLab's fields and the install command for it", async () => {
  const tokens = await newAgent(plain, 'prod');
  const r = await plain.api('POST', tokens, { name: 'first', description: 'for prod' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['agent_id', 'created_at', 'created_by_user_id', 'description', 'id', 'install', 'last_used_at', 'name', 'status', 'token']);
  assert.deepEqual(r.body.install, {
    command:
      `helm repo add --force-update kubegate ${plain.url}/-/charts\n` +
      'helm upgrade --install prod kubegate/kubegate-agent \\\n' +
      '    --namespace kubegate-agent-prod \\\n' +
      '    --create-namespace \\\n' +
      `    --set config.token=${r.body.token} \\\n` +
      `    --set config.kasAddress=${plain.url.replace(/^http/, 'ws')}/-/kubernetes-agent/ \\\n` +
      `    --set image.tag=${VERSION.version}\n`,
    chart_repository_url: `${plain.url}/-/charts`,
    helm_release_name: 'prod',
    namespace: 'kubegate-agent-prod',
    ca_cert: null,
    ca_cert_file: null,
  });
  // Reading tokens never shows the token, nor the command holding it.
  const listed = await plain.api('GET', tokens);
  assert.equal(listed.body[0].install, undefined);
  assert.equal(listed.body[0].token, undefined);
});

test("with a private CA the command reads it from the caller's file; release and namespace can be chosen", async () => {
  const tokens = await newAgent(tls, 'edge');
  const r = await tls.api('POST', tokens, { name: 'first', install_ca_cert_file: '/home/ops/kubegate ca.pem', install_helm_release_name: 'edge-agent', install_namespace: 'agents' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.install.ca_cert, tls.caCert);
  assert.equal(r.body.install.ca_cert_file, '/home/ops/kubegate ca.pem');
  assert.match(r.body.install.command, /^helm repo add --force-update kubegate https:\/\/127\.0\.0\.1:\d+\/-\/charts --ca-file '\/home\/ops\/kubegate ca\.pem'\n/);
  assert.match(r.body.install.command, /\nhelm upgrade --install edge-agent kubegate\/kubegate-agent \\\n {4}--namespace agents \\\n/);
  assert.match(r.body.install.command, / {4}--set-file 'config\.kasCaCert=\/home\/ops\/kubegate ca\.pem' \\\n/);
  assert.match(r.body.install.command, /--set config\.kasAddress=wss:\/\/127\.0\.0\.1:\d+\/-\/kubernetes-agent\//);
});

test('bad install options are refused with the field named, and no token is created', async () => {
  const tokens = await newAgent(plain, 'refused');
  for (const [body, message] of [
    [{ install_namespace: 'Agents' }, /^install_namespace must be a Kubernetes namespace name/],
    [{ install_namespace: 'a'.repeat(64) }, /^install_namespace is too long \(at most 63 characters\)/],
    [{ install_helm_release_name: 'x'.repeat(54) }, /^install_helm_release_name is too long \(Helm allows at most 53 characters\)/],
    [{ install_helm_release_name: '-x' }, /^install_helm_release_name must be lower-case letters/],
    [{ install_ca_cert_file: 'a\nb' }, /^install_ca_cert_file must be one line/],
  ] as const) {
    const r = await plain.api('POST', tokens, { name: 't', ...body });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.message, message);
  }
  assert.deepEqual((await plain.api('GET', tokens)).body, []);
});
