/**
 * The instance settings of the Amazon EKS integration (document 003, "Amazon認証の設定"),
 * behind GitLab's application settings API: whether it is enabled, the AWS account ID
 * users put in role B's trust policy, and the access key Kubegate assumes roles with.
 * Empty keys mean the AWS SDK's default credential chain (an instance profile, the
 * environment…). The secret is sealed with the server's secret key and never leaves
 * this file except as credentials for an AWS client.
 */
import type { Kysely } from 'kysely';
import type { ApplicationSettingsRow, Database } from '../../../store/schema.js';
import { now } from '../../../store/db.js';
import { KubegateError, badRequest } from '../../../lib/errors.js';
import type { SecretBox } from '../secret_box.js';
import type { SettingsUpdate } from './settings_input.js';

const SETTINGS_ID = 1;
/** Authenticated with the sealed value: it decrypts only as this setting. */
const SECRET_PURPOSE = 'kubegate:application_settings:eks_secret_access_key';

export interface EksSettings {
  enabled: boolean;
  accountId: string | null;
  accessKeyId: string | null;
  /** Whether a secret access key is stored (the key itself is never handed out here). */
  hasSecret: boolean;
  updatedAt: string | null;
}

/** Static keys, or undefined for the SDK's default credential chain. */
export interface InstanceCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export class EksSettingsService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
  ) {}

  async get(): Promise<EksSettings> {
    return view(await this.row());
  }

  /** Applies a validated update; the combination must still make sense afterwards. */
  async update(input: SettingsUpdate): Promise<EksSettings> {
    const current = view(await this.row());
    const next = {
      enabled: input.eks_integration_enabled ?? current.enabled,
      accountId: input.eks_account_id !== undefined ? input.eks_account_id : current.accountId,
      accessKeyId: input.eks_access_key_id !== undefined ? input.eks_access_key_id : current.accessKeyId,
    };
    // Clearing the key ID goes back to the default credential chain: the secret goes too.
    let sealed: string | null | undefined;
    if (input.eks_secret_access_key !== undefined) {
      sealed = input.eks_secret_access_key === null ? null : await this.secrets.encrypt(input.eks_secret_access_key, SECRET_PURPOSE);
    } else if (next.accessKeyId === null) {
      sealed = null;
    }
    const hasSecret = sealed === undefined ? current.hasSecret : sealed !== null;
    if (next.enabled && next.accountId === null) {
      throw badRequest("eks_account_id can't be blank while eks_integration_enabled is true: give the 12-digit ID of the AWS account whose credentials Kubegate uses");
    }
    if (next.accessKeyId !== null && !hasSecret) {
      throw badRequest("eks_secret_access_key can't be blank when eks_access_key_id is set: give both, or clear eks_access_key_id to use the server's instance profile");
    }
    if (next.accessKeyId === null && hasSecret) {
      throw badRequest('eks_access_key_id is missing: a secret access key needs its access key ID (or clear both to use the instance profile)');
    }
    const values = {
      eks_integration_enabled: (next.enabled ? 1 : 0) as 0 | 1,
      eks_account_id: next.accountId,
      eks_access_key_id: next.accessKeyId,
      ...(sealed !== undefined ? { eks_secret_access_key_encrypted: sealed } : {}),
      updated_at: now(),
    };
    await this.db
      .insertInto('application_settings')
      .values({ id: SETTINGS_ID, eks_secret_access_key_encrypted: null, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    return view(await this.row());
  }

  /**
   * The credentials Kubegate assumes role B with. Throws a user-facing error when the
   * integration is off, so that no AWS call is made for a disabled instance.
   */
  async credentials(): Promise<{ accountId: string; credentials: InstanceCredentials | undefined }> {
    const row = await this.row();
    if (!row || row.eks_integration_enabled !== 1 || !row.eks_account_id) {
      throw new KubegateError(
        'unprocessable',
        'the Amazon EKS integration is not enabled on this instance: an administrator sets eks_integration_enabled and eks_account_id with PUT /api/v4/application/settings',
      );
    }
    if (!row.eks_access_key_id || !row.eks_secret_access_key_encrypted) return { accountId: row.eks_account_id, credentials: undefined };
    return {
      accountId: row.eks_account_id,
      credentials: { accessKeyId: row.eks_access_key_id, secretAccessKey: await this.secrets.decrypt(row.eks_secret_access_key_encrypted, SECRET_PURPOSE) },
    };
  }

  private row(): Promise<ApplicationSettingsRow | undefined> {
    return this.db.selectFrom('application_settings').selectAll().where('id', '=', SETTINGS_ID).executeTakeFirst();
  }
}

function view(row: ApplicationSettingsRow | undefined): EksSettings {
  return {
    enabled: row?.eks_integration_enabled === 1,
    accountId: row?.eks_account_id ?? null,
    accessKeyId: row?.eks_access_key_id ?? null,
    hasSecret: Boolean(row?.eks_secret_access_key_encrypted),
    updatedAt: row?.updated_at ?? null,
  };
}
