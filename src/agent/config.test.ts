import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfig } from './config.js';

const KAS = 'wss://kubegate.example.com/-/kubernetes-agent/';

test('the token from the environment is used and removed from it', () => {
  const env: NodeJS.ProcessEnv = { KUBEGATE_AGENT_TOKEN: ' kgagent-abc \n', KUBEGATE_KAS_ADDRESS: KAS };
  const config = agentConfig({}, env);
  assert.equal(config.token, 'kgagent-abc');
  assert.equal(env.KUBEGATE_AGENT_TOKEN, undefined);
  assert.equal(config.kasAddress, KAS);
});

test('a token file wins, and the environment copy is removed anyway', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'agent-config-'));
  await writeFile(join(dir, 'token'), 'kgagent-fromfile\n');
  const env: NodeJS.ProcessEnv = { KUBEGATE_AGENT_TOKEN: 'kgagent-env' };
  const config = agentConfig({ kasAddress: KAS, tokenFile: join(dir, 'token') }, env);
  assert.equal(config.token, 'kgagent-fromfile');
  assert.equal(env.KUBEGATE_AGENT_TOKEN, undefined);
});

test('bad settings are refused with the flag and the fix', () => {
  assert.throws(() => agentConfig({}, { KUBEGATE_AGENT_TOKEN: 'x' }), /--kas-address is required/);
  assert.throws(() => agentConfig({ kasAddress: 'https://x/-/kubernetes-agent/' }, { KUBEGATE_AGENT_TOKEN: 'x' }), /must start with ws:\/\/ or wss:\/\//);
  assert.throws(() => agentConfig({ kasAddress: 'not a url' }, { KUBEGATE_AGENT_TOKEN: 'x' }), /must be a ws:\/\/ or wss:\/\/ URL/);
  assert.throws(() => agentConfig({ kasAddress: KAS }, {}), /no agent token: pass --token-file FILE or set KUBEGATE_AGENT_TOKEN/);
  assert.throws(() => agentConfig({ kasAddress: KAS, tokenFile: '/nonexistent/token' }, {}), /cannot read the agent token from \/nonexistent\/token: ENOENT/);
  assert.throws(() => agentConfig({ kasAddress: KAS, kasCaCertFile: '/nonexistent/ca' }, { KUBEGATE_AGENT_TOKEN: 'x' }), /cannot read --kas-ca-cert-file/);
  assert.throws(() => agentConfig({ kasAddress: KAS, observabilityListen: '8080' }, { KUBEGATE_AGENT_TOKEN: 'x' }), /--observability-listen must be HOST:PORT/);
});

test('pod name and namespace come from the environment; observability is on by default only in a pod', () => {
  const inPod = agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x', POD_NAME: 'p-1', POD_NAMESPACE: 'agents', KUBERNETES_SERVICE_HOST: '10.0.0.1' });
  assert.equal(inPod.podName, 'p-1');
  assert.equal(inPod.podNamespace, 'agents');
  assert.deepEqual(inPod.observability, { host: '127.0.0.1', port: 8080 });
  const outside = agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x' });
  assert.equal(outside.podNamespace, 'default');
  assert.equal(outside.observability, undefined);
});

test('a flag wins over its variable', () => {
  const config = agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x', KUBEGATE_KAS_ADDRESS: 'ws://other/-/kubernetes-agent/' });
  assert.equal(config.kasAddress, KAS);
});

test('the tunnel transport: auto by default, websocket from the flag or KUBEGATE_TUNNEL_TRANSPORT, anything else refused', () => {
  assert.equal(agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x' }).tunnelTransport, 'auto');
  assert.equal(agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x', KUBEGATE_TUNNEL_TRANSPORT: 'websocket' }).tunnelTransport, 'websocket');
  assert.equal(agentConfig({ kasAddress: KAS, tunnelTransport: 'auto' }, { KUBEGATE_AGENT_TOKEN: 'x', KUBEGATE_TUNNEL_TRANSPORT: 'websocket' }).tunnelTransport, 'auto');
  assert.throws(() => agentConfig({ kasAddress: KAS, tunnelTransport: 'h2' }, { KUBEGATE_AGENT_TOKEN: 'x' }), /--tunnel-transport must be auto or websocket, not "h2"/);
});

test('KUBEGATE_AGENT_TOKEN_FILE names the token file (how the chart passes a mounted Secret)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'agent-config-'));
  await writeFile(join(dir, 'token'), 'kgagent-mounted\n');
  const env: NodeJS.ProcessEnv = { KUBEGATE_AGENT_TOKEN_FILE: join(dir, 'token'), KUBEGATE_KAS_ADDRESS: KAS };
  assert.equal(agentConfig({}, env).token, 'kgagent-mounted');
  assert.throws(() => agentConfig({}, { KUBEGATE_AGENT_TOKEN_FILE: join(dir, 'missing'), KUBEGATE_KAS_ADDRESS: KAS }), /cannot read the agent token from .*missing: ENOENT/);
});

test('the ServiceAccount directory defaults to where kubelet mounts it, KUBEGATE_SERVICE_ACCOUNT_DIR moves it', () => {
  assert.equal(agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x' }).serviceAccountDir, '/var/run/secrets/kubernetes.io/serviceaccount');
  assert.equal(agentConfig({ kasAddress: KAS }, { KUBEGATE_AGENT_TOKEN: 'x', KUBEGATE_SERVICE_ACCOUNT_DIR: '/sa' }).serviceAccountDir, '/sa');
});
