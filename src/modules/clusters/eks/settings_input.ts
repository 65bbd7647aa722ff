/**
 * `PUT /application/settings`: GitLab's field names and rules for the EKS settings
 * (`ApplicationSetting` validations), an empty string clearing a field as in GitLab's form.
 * Other GitLab settings are refused by name: silently ignoring them would let a script
 * believe it changed something.
 */
import { z } from 'zod';
import { booleanLike } from '../../../lib/validate.js';

/** Gitlab::Regex.aws_account_id_regex */
const AWS_ACCOUNT_ID = /^\d{12}$/;

const emptyToNull = (v: string) => (v.trim() === '' ? null : v.trim());

export const settingsUpdate = z
  .object({
    eks_integration_enabled: booleanLike.optional(),
    eks_account_id: z
      .string()
      .transform(emptyToNull)
      .refine((v) => v === null || AWS_ACCOUNT_ID.test(v), 'must be a 12-digit AWS account ID, e.g. 123456789012')
      .optional(),
    eks_access_key_id: z
      .string()
      .transform(emptyToNull)
      .refine((v) => v === null || v.length >= 16, 'is too short (minimum is 16 characters)')
      .refine((v) => v === null || v.length <= 128, 'is too long (maximum is 128 characters)')
      .optional(),
    eks_secret_access_key: z.string().transform(emptyToNull).optional(),
  })
  .strict();

export type SettingsUpdate = z.infer<typeof settingsUpdate>;

export const SETTINGS_FIELDS = Object.keys(settingsUpdate.shape);
