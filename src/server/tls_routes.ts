/**
 * `GET /-/tls/ca.pem` (CONTRACT.md): the CA clients must trust, for people who fetch it
 * by hand (`curl -k …/-/tls/ca.pem`, then compare its SHA-256 fingerprint with the one
 * the server printed at start), and for clients that prove it with a token they hold
 * (`lib/ca_proof.ts`: the agent, `kubegate ci kubeconfig`).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerTrust } from './tls_trust.js';
import { CA_PATH, CA_PROOF_HEADER, CA_PROOF_REQUEST_HEADER, caProof, parseProofRequest } from '../lib/ca_proof.js';

export const CA_PEM_PATH = CA_PATH;

export function registerTlsRoutes(api: FastifyInstance, trust: () => ServerTrust, liveTokenDigests: (hint: string) => Promise<string[]>): void {
  api.get(CA_PEM_PATH, async function serverCa(request, reply) {
    const { caPem, fingerprint } = trust();
    if (caPem === null) {
      return reply.status(404).send({ message: '404 Not Found: this server has no private CA to trust (its certificate is publicly trusted, or TLS is terminated in front of it)' });
    }
    const asked = parseProofRequest(request.headers[CA_PROOF_REQUEST_HEADER]);
    if (asked) {
      const proofs = (await liveTokenDigests(asked.hint)).map((digest) => caProof(digest, asked.nonce, caPem));
      if (proofs.length > 0) reply.header(CA_PROOF_HEADER, proofs.join(', '));
    }
    return reply.header('Content-Type', 'application/x-pem-file').header('X-Kubegate-CA-Fingerprint', fingerprint!).header('Cache-Control', 'no-store').send(caPem);
  });
}
