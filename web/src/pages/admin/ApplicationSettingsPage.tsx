/**
 * Admin Area > Settings > General, "Amazon EKS" (document 003, "Amazon認証の設定"):
 * `GET/PUT /application/settings`, administrators only (others see the API's refusal).
 *
 * The secret access key is write-only: the API never returns it, and this page never
 * shows it, not even masked. Whether one is stored is read from the access key ID: the
 * server keeps the two together (setting a key ID needs its secret, clearing the key ID
 * clears the secret — src/modules/clusters/eks/settings.ts), so a secret is stored exactly
 * when an access key ID is.
 */
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { ApplicationSettings } from '../../api/types';
import { formError, type FieldError } from '../../api/fields';
import { PageHeader } from '../../components/Layout';
import { CheckboxField, FormError, TextField } from '../../components/FormField';
import { ErrorState, Loading } from '../../components/States';
import { Time } from '../../components/Time';

const FIELDS = ['eks_integration_enabled', 'eks_account_id', 'eks_access_key_id', 'eks_secret_access_key'];
export const SETTINGS_KEY = ['applicationSettings'] as const;

/** Document 003's example policy for the IAM user whose keys go here. */
const ASSUME_ROLE_POLICY = `{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Resource": "arn:aws:iam::123456789012:role/gitlab-eks-*"
  }
}`;

/** Whether a secret access key is stored (see the file comment). */
export function secretIsSet(settings: ApplicationSettings): boolean {
  return settings.eks_access_key_id !== null;
}

function SecretStatus({ set }: { set: boolean }) {
  return set ? (
    <span className="badge badge-success" data-secret-status="set">
      Set
    </span>
  ) : (
    <span className="badge badge-neutral" data-secret-status="not-set">
      Not set
    </span>
  );
}

function EksSettingsForm({ settings }: { settings: ApplicationSettings }) {
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = useState(settings.eks_integration_enabled);
  const [accountId, setAccountId] = useState(settings.eks_account_id ?? '');
  const [accessKeyId, setAccessKeyId] = useState(settings.eks_access_key_id ?? '');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const stored = secretIsSet(settings);
  const fieldError = (field: string) => (error?.field === field ? error.message : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    const keyId = accessKeyId.trim();
    // The stored secret belongs to the stored key ID: a new key ID needs its own secret,
    // which the API would otherwise keep paired with the new ID.
    if (keyId !== '' && keyId !== settings.eks_access_key_id && secret === '') {
      setError({ field: 'eks_secret_access_key', message: "eks_secret_access_key can't be blank when eks_access_key_id changes: give the secret access key of the new access key ID" });
      return;
    }
    setBusy(true);
    try {
      const updated = await api.put<ApplicationSettings>('/application/settings', {
        eks_integration_enabled: enabled,
        eks_account_id: accountId,
        eks_access_key_id: accessKeyId,
        // Empty: keep the stored secret (it is never sent back to be resent).
        ...(secret !== '' ? { eks_secret_access_key: secret } : {}),
      });
      queryClient.setQueryData(SETTINGS_KEY, updated);
      setAccessKeyId(updated.eks_access_key_id ?? '');
      setAccountId(updated.eks_account_id ?? '');
      setEnabled(updated.eks_integration_enabled);
      setSecret('');
      setSaved(true);
    } catch (err) {
      setError(formError(err, FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-labelledby="eks-settings-title">
      <h2 id="eks-settings-title">Amazon EKS</h2>
      <p>
        Lets users create EKS clusters from a project's certificate-based clusters page. Kubegate assumes the role each user creates in their AWS account (role B) with these
        credentials, so their IAM user needs a policy allowing <code>sts:AssumeRole</code> on those roles, for example:
      </p>
      <pre className="command" aria-label="Example policy for the IAM user" tabIndex={0}>
        <code>{ASSUME_ROLE_POLICY}</code>
      </pre>
      <CheckboxField
        label="Enable Amazon EKS integration"
        name="eks_integration_enabled"
        checked={enabled}
        onChange={(e) => setEnabled(e.target.checked)}
        error={fieldError('eks_integration_enabled')}
      />
      <TextField
        label="Account ID"
        name="eks_account_id"
        value={accountId}
        onChange={(e) => setAccountId(e.target.value)}
        inputMode="numeric"
        autoComplete="off"
        hint="The 12-digit ID of the AWS account of these credentials. Users name it in role B's trust relationship."
        error={fieldError('eks_account_id')}
      />
      <TextField
        label="Access key ID"
        name="eks_access_key_id"
        value={accessKeyId}
        onChange={(e) => setAccessKeyId(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        hint="Leave it empty (the secret is then cleared too) to use the server's instance profile or the AWS SDK's default credential chain."
        error={fieldError('eks_access_key_id')}
      />
      <TextField
        label="Secret access key"
        name="eks_secret_access_key"
        type="password"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        autoComplete="new-password"
        spellCheck={false}
        hint={
          <>
            <SecretStatus set={stored} />{' '}
            {stored
              ? 'A secret access key is stored, encrypted; it is never shown. Leave the field empty to keep it, or type a new one to replace it.'
              : 'No secret access key is stored. It is stored encrypted and never shown again.'}
          </>
        }
        error={fieldError('eks_secret_access_key')}
      />
      <FormError message={error && error.field === null ? error.message : null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <span className="success" role="status">
          {saved ? 'Settings saved.' : ''}
        </span>
      </div>
      {settings.updated_at ? (
        <p className="muted small">
          Last changed <Time value={settings.updated_at} />
        </p>
      ) : null}
    </form>
  );
}

export function ApplicationSettingsPage() {
  const settings = useQuery({ queryKey: SETTINGS_KEY, queryFn: () => api.get<ApplicationSettings>('/application/settings') });
  return (
    <>
      <PageHeader title="Settings" crumbs={[{ label: 'Admin Area' }, { label: 'Settings' }]} />
      {settings.isPending ? (
        <Loading what="the application settings" />
      ) : settings.isError ? (
        <ErrorState error={settings.error} what="the application settings" onRetry={() => void settings.refetch()} />
      ) : (
        <EksSettingsForm settings={settings.data} />
      )}
    </>
  );
}
