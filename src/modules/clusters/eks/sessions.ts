/**
 * Role B's temporary credentials, assumed with the instance credentials and the external
 * ID of the creation request, kept until shortly before they expire. Refusals become
 * document 003's "Access denied" message.
 */
import { KubegateError } from '../../../lib/errors.js';
import { isAwsCallError, type AwsApi, type AwsSession } from './aws.js';
import { ROLE_SESSION_NAME } from './defaults.js';
import { assumeRoleDenied, awsUnavailable, missingCredentials } from './messages.js';
import type { EksSettingsService } from './settings.js';

/** Credentials are renewed this long before AWS says they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** When AWS gives no expiry (emulators), assume the SDK default of one hour. */
const DEFAULT_LIFETIME_MS = 60 * 60_000;

export interface RoleTarget {
  roleArn: string;
  externalId: string;
  region: string;
}

export class RoleSessions {
  private readonly cache = new Map<string, { session: AwsSession; renewAt: number }>();

  constructor(
    private readonly aws: AwsApi,
    private readonly settings: EksSettingsService,
    private readonly now: () => number = Date.now,
  ) {}

  async session(target: RoleTarget): Promise<AwsSession> {
    const key = `${target.roleArn}\n${target.externalId}\n${target.region}`;
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > this.now()) return cached.session;
    const { accountId, credentials } = await this.settings.credentials();
    try {
      const assumed = await this.aws.assumeRole({ region: target.region, roleArn: target.roleArn, externalId: target.externalId, sessionName: ROLE_SESSION_NAME, credentials });
      const session = { region: target.region, credentials: assumed.credentials };
      const expires = assumed.expiration?.getTime() ?? this.now() + DEFAULT_LIFETIME_MS;
      this.cache.set(key, { session, renewAt: expires - RENEW_BEFORE_MS });
      return session;
    } catch (err) {
      this.cache.delete(key);
      if (!isAwsCallError(err)) throw err;
      if (err.code === 'MissingCredentials') throw missingCredentials(err);
      if (err.accessDenied) throw assumeRoleDenied(err, { ...target, accountId });
      if (err.httpStatus !== undefined && err.httpStatus < 500) {
        throw new KubegateError('unprocessable', `sts:AssumeRole of ${target.roleArn} was refused: ${err.code}: ${err.message}`, { cause: err });
      }
      throw awsUnavailable(`sts:AssumeRole of ${target.roleArn} failed`, err);
    }
  }

  /** Forgets a role's credentials, e.g. after AWS refused them. */
  forget(target: RoleTarget): void {
    this.cache.delete(`${target.roleArn}\n${target.externalId}\n${target.region}`);
  }
}
