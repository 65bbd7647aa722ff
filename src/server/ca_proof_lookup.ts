/**
 * The server half of `lib/ca_proof.ts`: the digests of live tokens whose first hex digits
 * are a client's hint (personal access tokens, agent tokens, running jobs' tokens), so
 * `GET /-/tls/ca.pem` can prove its CA to their holders.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export async function liveTokenDigests(db: Kysely<Database>, hint: string): Promise<string[]> {
  // A range on the digest (hex, lower case) uses the unique index on it.
  const from = hint;
  const to = `${hint}g`;
  const [pats, agents, jobs] = await Promise.all([
    db.selectFrom('personal_access_tokens').select('token_digest').where('token_digest', '>=', from).where('token_digest', '<', to).where('revoked', '=', 0).execute(),
    db.selectFrom('agent_tokens').select('token_digest').where('token_digest', '>=', from).where('token_digest', '<', to).where('status', '=', 'active').execute(),
    db.selectFrom('ci_jobs').select('token_digest').where('token_digest', '>=', from).where('token_digest', '<', to).where('status', '=', 'running').execute(),
  ]);
  return [...pats, ...agents, ...jobs].map((r) => r.token_digest).filter((d) => d.startsWith(hint));
}
