/**
 * What the listener serves: nothing (`--no-tls`), the operator's certificate
 * (`--tls-cert`/`--tls-key`), or by default a certificate from the server's own CA in
 * `<data-dir>/tls/`. Everything is read and checked here, before anything listens.
 */
import type { ServerConfig } from '../config.js';
import { caToAdvertise, trustOf, type ServerTrust } from '../tls_trust.js';
import { ensureGeneratedTls, servingNames } from './generated.js';
import { loadOperatorTls } from './operator.js';

export { RENEWAL_CHECK_INTERVAL_MS } from './defaults.js';

export interface ServingTls {
  source: 'generated' | 'operator';
  keyPem: string;
  /** The server's certificate first, then the rest of the chain. */
  chainPem: string;
  trust: ServerTrust;
  /** Generated only: the CA file clients can be pointed at. */
  caFile: string | null;
  /** When the serving certificate expires. */
  notAfter: Date;
  /** What the start did (created the CA, issued or renewed the serving certificate). */
  events: string[];
  /**
   * Generated only: re-issues the serving certificate if it is due (same CA). Resolves
   * with the new material, or null when nothing changed.
   */
  renewIfDue?(): Promise<ServingTls | null>;
}

export async function loadServingTls(config: ServerConfig): Promise<ServingTls | null> {
  if (config.noTls) return null;
  if (config.tlsCert && config.tlsKey) {
    const operator = loadOperatorTls(config.tlsCert, config.tlsKey);
    return {
      source: 'operator',
      keyPem: operator.keyPem,
      chainPem: operator.chainPem,
      trust: trustOf(caToAdvertise(operator.chainPem)),
      caFile: null,
      notAfter: new Date(operator.leaf.validTo),
      events: [],
    };
  }
  return generated(config);
}

async function generated(config: ServerConfig, now?: Date): Promise<ServingTls> {
  const material = await ensureGeneratedTls(config.dataDir, servingNames(config.host, config.externalUrl), now);
  return {
    source: 'generated',
    keyPem: material.keyPem,
    chainPem: material.chainPem,
    trust: trustOf(material.caPem),
    caFile: material.caFile,
    notAfter: material.notAfter,
    events: material.events,
    async renewIfDue() {
      const next = await generated(config);
      return next.events.length > 0 ? next : null;
    },
  };
}
