import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { memoryLogger, startConnectProxy, startTestAgent, startTestServer, waitFor, bodyText, testEachTransport } from './testing.js';
import { proxyFromEnvironment } from './agent.js';



/** `/big`: 3 MiB of text; anything else: `ok`. */
function bigOrOk(req: Http2ServerRequest, res: Http2ServerResponse): void {
  res.end(req.url === '/big' ? 'x'.repeat(3 * 1024 * 1024) : 'ok');
}

let dir: string;
let ca: string;
let tls: { key: string; cert: string };

/** A private CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubegate-tunnel-tls-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Kubegate Test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  tls = { key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.crt'), 'utf8') };
});

after(() => rmSync(dir, { recursive: true, force: true }));

testEachTransport('wss with a private CA: trusted with the CA, refused with a clear reason without it', async (transport) => {
  const server = await startTestServer({ ...transport.server, tls });
  assert.ok(server.url.startsWith('wss://'));
  const log = memoryLogger();
  const untrusting = startTestAgent({ ...transport.agent, kasAddress: server.url, logger: log.logger });
  try {
    await waitFor(() => /TLS handshake with 127\.0\.0\.1:\d+ failed: .*--kas-ca-cert-file/.test(log.text()), 'the TLS failure to be logged');
    await untrusting.stop();
    const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, caCert: ca });
    await waitFor(() => server.tunnel.isConnected(1), 'the TLS connection');
    assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected);
    const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
    assert.equal(await bodyText(res.body), 'ok');
    await agent.stop();
  } finally {
    await untrusting.stop();
    await server.close();
  }
});

testEachTransport('through an HTTP CONNECT proxy, plain and TLS', async (transport) => {
  const proxy = await startConnectProxy();
  const plain = await startTestServer(transport.server);
  const secure = await startTestServer({ ...transport.server, tls });
  const agents = [
    startTestAgent({ ...transport.agent, kasAddress: plain.url, proxy: proxy.url, handler: bigOrOk }),
    startTestAgent({ ...transport.agent, kasAddress: secure.url, proxy: proxy.url, caCert: ca, handler: bigOrOk }),
  ];
  try {
    await waitFor(() => plain.tunnel.isConnected(1) && secure.tunnel.isConnected(1), 'both connections');
    assert.deepEqual(proxy.targets.sort(), [`127.0.0.1:${plain.port}`, `127.0.0.1:${secure.port}`].sort());
    for (const server of [plain, secure]) {
      assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected);
      const res = await server.tunnel.request(1, { method: 'GET', path: '/' });
      assert.equal(await bodyText(res.body), 'ok');
      // A bulk body too: on h2 the proxy relays HTTP/2 frames directly.
      const big = await server.tunnel.request(1, { method: 'GET', path: '/big' });
      assert.equal((await bodyText(big.body)).length, 3 * 1024 * 1024);
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all([plain.close(), secure.close(), proxy.close()]);
  }
});

test('the proxy comes from HTTPS_PROXY / HTTP_PROXY / NO_PROXY in either case', () => {
  const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  try {
    for (const n of names) delete process.env[n];
    assert.equal(proxyFromEnvironment('wss://kas.example.com/-/kubernetes-agent/'), null);

    process.env.HTTPS_PROXY = 'http://proxy.corp:3128';
    process.env.http_proxy = 'http://plain-proxy.corp:8080';
    assert.equal(proxyFromEnvironment('wss://kas.example.com/-/kubernetes-agent/'), 'http://proxy.corp:3128');
    assert.equal(proxyFromEnvironment('ws://kas.example.com/-/kubernetes-agent/'), 'http://plain-proxy.corp:8080');

    process.env.no_proxy = '.example.com,10.0.0.1';
    assert.equal(proxyFromEnvironment('wss://kas.example.com/-/kubernetes-agent/'), null);
    assert.equal(proxyFromEnvironment('wss://kas.other.org/-/kubernetes-agent/'), 'http://proxy.corp:3128');
  } finally {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  }
});

testEachTransport('the agent uses HTTP_PROXY from the environment for a ws:// address when no proxy is given', async (transport) => {
  const proxy = await startConnectProxy();
  const server = await startTestServer(transport.server);
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
  process.env.HTTP_PROXY = proxy.url;
  delete process.env.NO_PROXY;
  delete process.env.no_proxy;
  const agent = startTestAgent({ ...transport.agent, kasAddress: server.url, proxy: undefined });
  try {
    await waitFor(() => server.tunnel.isConnected(1), 'the proxied connection');
    assert.equal(server.tunnel.connections(1)[0]!.transport, transport.expected);
    assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`]);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await agent.stop();
    await Promise.all([server.close(), proxy.close()]);
  }
});
