/**
 * The agent answers its own endpoints only on the tunnel's control path (issue 8, item 3):
 * a request without the control header goes to the caller's handler whatever its path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_INFO_PATH, TUNNEL_CONTROL_HEADER } from './shared.js';
import { bodyText, startTestAgent, startTestServer, waitFor } from './testing.js';

test("the agent's info endpoint answers only control requests; others reach the handler", async () => {
  const server = await startTestServer();
  const seen: string[] = [];
  const agent = startTestAgent({
    kasAddress: server.url,
    handler: (req, res) => {
      seen.push(String(req.url));
      res.end('from the handler');
    },
  });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the connection');
    const proxied = await server.tunnel.request(1, { method: 'GET', path: AGENT_INFO_PATH });
    assert.equal(await bodyText(proxied.body), 'from the handler');
    assert.deepEqual(seen, [AGENT_INFO_PATH]);
    const control = await server.tunnel.request(1, { method: 'GET', path: AGENT_INFO_PATH, headers: { [TUNNEL_CONTROL_HEADER]: '1' } });
    assert.equal(control.status, 200);
    assert.equal(JSON.parse(await bodyText(control.body)).podName, 'pod-a');
    const unknown = await server.tunnel.request(1, { method: 'GET', path: '/api/v1/pods', headers: { [TUNNEL_CONTROL_HEADER]: '1' } });
    assert.equal(unknown.status, 404, 'the control path serves the agent\'s endpoints only');
    await bodyText(unknown.body);
    assert.deepEqual(seen, [AGENT_INFO_PATH]);
  } finally {
    await agent.stop();
    await server.close();
  }
});
