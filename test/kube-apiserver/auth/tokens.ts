// Bearer-token authentication: a static token table, like the real server's
// --token-auth-file plus the ServiceAccount token authenticator.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../api/status.js';
import type { UserInfo } from '../api/types.js';

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export type TokenUser = { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };

/**
 * Like the real server's webhook token authenticator (`--authentication-token-webhook-config-file`):
 * asked about bearer tokens the static table does not know, e.g. EKS's `k8s-aws-v1.` tokens.
 */
export type TokenWebhook = (token: string) => Promise<TokenUser | undefined>;

export class TokenAuthenticator {
  private readonly tokens = new Map<string, UserInfo>();
  private webhook: TokenWebhook | undefined;

  add(token: string, user: TokenUser): void {
    const groups = [...(user.groups ?? [])];
    // Every authenticated user carries system:authenticated, as the real authenticator chain adds it.
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
    const info: UserInfo = { username: user.username, groups };
    if (user.uid !== undefined) info.uid = user.uid;
    if (user.extra) info.extra = user.extra;
    this.tokens.set(token, info);
  }

  remove(token: string): void {
    this.tokens.delete(token);
  }

  /** A fresh token for a ServiceAccount, with the groups the real SA authenticator assigns. */
  serviceAccountToken(namespace: string, name: string, uid?: string): string {
    const token = `sa-${namespace}-${name}-${randomBytes(12).toString('hex')}`;
    this.add(token, {
      username: `system:serviceaccount:${namespace}:${name}`,
      uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
    });
    return token;
  }

  setWebhook(webhook: TokenWebhook | undefined): void {
    this.webhook = webhook;
  }

  /**
   * Asks the webhook about an unknown bearer token before the (synchronous) filter chain
   * runs; an accepted token is then known for the simulator's life (the real server caches
   * webhook answers for two minutes). Upgrade requests do not consult the webhook.
   */
  async consultWebhook(req: IncomingMessage): Promise<void> {
    if (!this.webhook) return;
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1]?.trim();
    if (!token || this.tokens.has(token)) return;
    const user = await this.webhook(token);
    if (user) this.add(token, user);
  }

  /** Undefined header → anonymous; a token we do not know → 401. */
  authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    if (!header) return ANONYMOUS;
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m) throw unauthorized();
    const user = this.tokens.get(m[1]!.trim());
    if (!user) throw unauthorized();
    return structuredClone(user);
  }
}
