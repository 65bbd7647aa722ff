/**
 * `GET /-/tls/ca.pem` (CONTRACT.md): the CA clients must trust, for people who fetch it
 * by hand (`curl -k …/-/tls/ca.pem`, then compare its SHA-256 fingerprint with the one
 * the server printed at start) and for tools.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerTrust } from './tls_trust.js';

export const CA_PEM_PATH = '/-/tls/ca.pem';

export function registerTlsRoutes(api: FastifyInstance, trust: () => ServerTrust): void {
  api.get(CA_PEM_PATH, async function serverCa(_request, reply) {
    const { caPem, fingerprint } = trust();
    if (caPem === null) {
      return reply.status(404).send({ message: '404 Not Found: this server has no private CA to trust (its certificate is publicly trusted, or TLS is terminated in front of it)' });
    }
    return reply.header('Content-Type', 'application/x-pem-file').header('X-Kubegate-CA-Fingerprint', fingerprint!).header('Cache-Control', 'no-cache').send(caPem);
  });
}
