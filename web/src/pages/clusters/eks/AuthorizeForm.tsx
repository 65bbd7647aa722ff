/**
 * Step 2 of document 003, "Authenticate with AWS": role B's ARN and the cluster's region.
 * The server assumes role B with this request's external ID (`…/authorize`) and checks
 * the region is open to it; every refusal is shown beside the field it concerns (an
 * invalid ARN, AssumeRole refused: the role; a closed region: the region).
 */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../../api/client';
import type { EksRequest } from '../../../api/types';
import type { FieldError } from '../../../api/fields';
import { FormError, TextField } from '../../../components/FormField';
import { authorizeFormError } from './eksErrors';
import { eksKeys, eksRequestsPath } from './eksApi';

/** Suggestions only (the server checks the region against what the role may use). */
const AWS_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-south-1',
  'sa-east-1',
];

export function AuthorizeForm({ projectPath, request }: { projectPath: string; request: EksRequest }) {
  const queryClient = useQueryClient();
  const [roleArn, setRoleArn] = useState(request.role_arn ?? '');
  const [region, setRegion] = useState(request.region ?? '');
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (field: string) => (error?.field === field ? error.message : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const updated = await api.post<EksRequest>(`${eksRequestsPath(projectPath)}/${request.id}/authorize`, { role_arn: roleArn.trim(), region: region.trim() });
      queryClient.setQueryData(eksKeys.request(projectPath, request.id), updated);
    } catch (err) {
      setError(authorizeFormError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="eks-authorize-title">
      <h2 id="eks-authorize-title">2. Authenticate with AWS</h2>
      {request.authorized ? (
        <p className="notice notice-success" role="status">
          Authenticated as <code className="break">{request.role_arn}</code> in region <code>{request.region}</code>. Change them below to authenticate again.
        </p>
      ) : null}
      <form className="form" onSubmit={submit} noValidate>
        <TextField
          label="Role ARN"
          name="role_arn"
          value={roleArn}
          onChange={(e) => setRoleArn(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          placeholder="arn:aws:iam::123456789012:role/gitlab-eks-provision"
          hint="The ARN of role B, from its page in the IAM console."
          error={fieldError('role_arn')}
        />
        <TextField
          label="Cluster region"
          name="region"
          value={region}
          onChange={(e) => setRegion(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          list="eks-regions"
          placeholder="eu-west-1"
          hint="Where the cluster will be created. Kubegate checks that the role may use it."
          error={fieldError('region')}
        />
        <datalist id="eks-regions">
          {AWS_REGIONS.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
        <FormError message={error && error.field === null ? error.message : null} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Authenticating…' : 'Authenticate with AWS'}
          </button>
        </div>
      </form>
    </section>
  );
}
