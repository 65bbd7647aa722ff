/**
 * The agent against a server on its generated CA (the default): it trusts that CA without
 * a CA file, proven with its token; a wrong token gets no proof and a message; and a
 * `ws://` address for a server that speaks TLS says to use `wss://`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent.js';
import { startKubeApiServer, type KubeApiSimulator } from '../kube-apiserver/index.js';

let server: TestServer;
let sim: KubeApiSimulator;
const agents: AgentProcess[] = [];
let projectId = 0;
let agentId = 0;
let token = '';

before(async () => {
  sim = await startKubeApiServer();
  server = await startTestServer({ tls: 'generated' });
  const group = await server.api('POST', '/groups', { name: 'acme', path: 'acme' });
  const project = await server.api('POST', '/projects', { name: 'clusters', namespace_id: group.body.id });
  projectId = project.body.id;
  agentId = (await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'prod' })).body.id;
  token = (await server.api('POST', `/projects/${projectId}/cluster_agents/${agentId}/tokens`, { name: 't' })).body.token;
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await server?.close();
  await sim?.close();
});

test('with no --kas-ca-cert-file the agent trusts the server\'s generated CA, proven with its token, and connects', async () => {
  const agent = await startAgent({ serverUrl: server.url, token, sim });
  agents.push(agent);
  const line = await agent.waitForLog((l) => /^trusting the server's private CA/.test(String(l.msg)));
  assert.equal(line.caFingerprint, server.app.trust.fingerprint);
  await eventually(async () => ((await server.api('GET', `/projects/${projectId}/cluster_agents/${agentId}`)).body.connections.length > 0 ? true : undefined), 20_000, 'connected');
  await agent.stop();
});

test('a token the server does not know gets no proof: the agent says so and names --kas-ca-cert-file', async () => {
  const agent = await startAgent({ serverUrl: server.url, token: 'kgagent-not-a-real-token-0123456789abcdef', sim });
  agents.push(agent);
  const line = await agent.waitForLog((l) => /could not be proven/.test(String(l.msg)));
  assert.match(String(line.msg), /comes without a valid proof for this token .*pass it with --kas-ca-cert-file/);
  await agent.stop();
});

test('ws:// to a server that speaks TLS: "the server speaks TLS: use wss://"', async () => {
  const ws = `${server.url.replace(/^https:/, 'ws:')}/-/kubernetes-agent/`;
  const agent = await startAgent({ serverUrl: server.url, token, sim, extraArgs: ['--kas-address', ws] });
  agents.push(agent);
  const line = await agent.waitForLog((l) => /speaks TLS/.test(String(l.msg)));
  assert.match(String(line.msg), new RegExp(`cannot connect to the server: the server at 127\\.0\\.0\\.1:\\d+ speaks TLS: use wss:// \\(--kas-address ${ws.replace(/^ws:/, 'wss:').replace(/[.]/g, '\\.')} or KUBEGATE_KAS_ADDRESS\\)`));
  await agent.stop();
});
