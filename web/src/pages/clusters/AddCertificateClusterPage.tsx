/**
 * Add an existing cluster by certificate (`POST /projects/:id/clusters/user`). The token
 * is write-only: the API stores it encrypted and never shows it again.
 */
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api, idOf } from '../../api/client';
import { keys } from '../../api/queries';
import { formError, type FieldError } from '../../api/fields';
import { ProjectFrame } from '../ProjectFrame';
import { FormError, TextAreaField, TextField } from '../../components/FormField';
import { DeprecationBanner } from './CertificateClustersTab';
import { paths } from '../../routes';

const K8S = 'platform_kubernetes_attributes';
const FIELDS = ['name', 'environment_scope', 'managed', 'enabled', K8S, `${K8S}.api_url`, `${K8S}.token`, `${K8S}.ca_cert`, `${K8S}.namespace`, `${K8S}.authorization_type`];

function AddClusterForm({ projectPath }: { projectPath: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: '', environment_scope: '*', api_url: '', ca_cert: '', token: '', namespace: '', rbac: true, managed: true });
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [field]: e.target.value });
  const fieldError = (field: string) => (error?.field === field ? error.message : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post(`/projects/${idOf(projectPath)}/clusters/user`, {
        name: form.name,
        environment_scope: form.environment_scope,
        managed: form.managed,
        [K8S]: {
          api_url: form.api_url,
          token: form.token,
          ca_cert: form.ca_cert,
          namespace: form.namespace,
          authorization_type: form.rbac ? 'rbac' : 'abac',
        },
      });
      await queryClient.invalidateQueries({ queryKey: keys.clusters(projectPath) });
      navigate(paths.clusters(projectPath, 'certificate_based'));
    } catch (err) {
      setError(formError(err, FIELDS, 'environment_scope'));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <TextField label="Kubernetes cluster name" name="name" value={form.name} onChange={set('name')} required error={fieldError('name')} />
      <TextField
        label="Environment scope"
        name="environment_scope"
        value={form.environment_scope}
        onChange={set('environment_scope')}
        required
        hint="The environments whose jobs use this cluster: * for all, or a name with * wildcards (production, review/*). One cluster per scope."
        error={fieldError('environment_scope')}
      />
      <TextField
        label="API URL"
        name="api_url"
        type="url"
        value={form.api_url}
        onChange={set('api_url')}
        required
        placeholder="https://kubernetes.example.com:6443"
        error={fieldError(`${K8S}.api_url`)}
      />
      <TextAreaField
        label="CA certificate (optional)"
        name="ca_cert"
        value={form.ca_cert}
        onChange={set('ca_cert')}
        rows={5}
        hint="The PEM certificate of the cluster's CA, when it is not publicly trusted."
        error={fieldError(`${K8S}.ca_cert`)}
        className="mono"
      />
      <TextField
        label="Service token"
        name="token"
        type="password"
        autoComplete="off"
        value={form.token}
        onChange={set('token')}
        required
        hint="A service account token with the rights your jobs need. Stored encrypted; never shown again."
        error={fieldError(`${K8S}.token`)}
      />
      <TextField
        label="Project namespace (optional)"
        name="namespace"
        value={form.namespace}
        onChange={set('namespace')}
        hint="Lower-case letters, digits and '-'."
        error={fieldError(`${K8S}.namespace`)}
      />
      <div className="field">
        <input id="cluster-rbac" type="checkbox" checked={form.rbac} onChange={(e) => setForm({ ...form, rbac: e.target.checked })} />
        <label htmlFor="cluster-rbac" className="inline-label">
          RBAC-enabled cluster
        </label>
      </div>
      <div className="field">
        <input id="cluster-managed" type="checkbox" checked={form.managed} onChange={(e) => setForm({ ...form, managed: e.target.checked })} />
        <label htmlFor="cluster-managed" className="inline-label">
          Kubegate-managed cluster
        </label>
      </div>
      <FormError message={error && error.field === null ? error.message : null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add Kubernetes cluster'}
        </button>
      </div>
    </form>
  );
}

export function AddCertificateClusterPage({ path }: { path: string }) {
  return (
    <ProjectFrame path={path} title="Add existing cluster" crumbs={[{ label: 'Kubernetes clusters', to: paths.clusters(path, 'certificate_based') }, { label: 'Add existing cluster' }]}>
      {(p) => (
        <>
          <DeprecationBanner />
          <AddClusterForm projectPath={p.path_with_namespace} />
        </>
      )}
    </ProjectFrame>
  );
}
