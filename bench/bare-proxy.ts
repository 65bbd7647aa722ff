/**
 * A bare HTTPS reverse proxy, the unit of `bench/proxy.ts`'s `floor` path: what a proxy
 * hop costs on this machine when it does nothing but forward.
 *
 *   node --import tsx bench/bare-proxy.ts --upstream https://127.0.0.1:PORT --upstream-ca FILE \
 *     --cert CHAIN.pem --key KEY.pem [--max-sockets 64]
 *
 * `https.createServer` + `https.request` through a keep-alive `https.Agent`: method, path,
 * headers (the client's token included) and body go upstream unchanged, the status,
 * headers and body come back piped; only the hop-by-hop headers stay on their hop, as in
 * any proxy (else the simulator's `Keep-Alive: timeout=5` would reach the client, which
 * would close its idle connections sooner than on the proxied path). No auth, no logging,
 * no HTTP/2, no tunnel. The only
 * setting besides the TLS material is the server's keep-alive timeout, the same as
 * `kubegate server`'s (65 s), so that idle pooled connections survive between rounds as
 * they do on the proxied path. Prints `{"port":N}` on stdout once listening.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type net from 'node:net';

/** Headers of one connection, not of the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'];

function endToEnd<T extends http.IncomingHttpHeaders>(headers: T): T {
  for (const name of HOP_BY_HOP) delete headers[name];
  return headers;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`bare-proxy: --${name} is required`);
  return value;
}

const upstream = new URL(arg('upstream'));
const agent = new https.Agent({
  keepAlive: true,
  maxSockets: Number(arg('max-sockets', '64')),
  // A string, as in the kubegate agent: https.Agent puts `ca` into its pool key per request.
  ca: readFileSync(arg('upstream-ca'), 'utf8'),
});

const server = https.createServer({ cert: readFileSync(arg('cert')), key: readFileSync(arg('key')) }, function forward(req, res) {
  const up = https.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent },
    // Arrows, not named functions: tsx (esbuild keepNames) would wrap a named function
    // created per request in a naming call, a cost the compiled kubegate does not pay.
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.headers));
      upRes.pipe(res);
    },
  );
  up.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  // A client that leaves before the answer is complete cancels the upstream request.
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
});
