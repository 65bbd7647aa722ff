/**
 * Step 3 of document 003, "クラスターの設定": the cluster's settings, with every choice
 * loaded from AWS as role B in the chosen region (`…/options/:list`): service role (role A),
 * Kubernetes version, key pair, VPC, the VPC's subnets and security groups, instance type;
 * then node count, GitLab-managed and environment scope. The server checks everything
 * (the form's rules, then AWS: the key pair exists, the subnets are the VPC's in two
 * zones, role A has AmazonEKSClusterPolicy) and each refusal is shown beside its field.
 */
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../../api/client';
import { keys } from '../../../api/queries';
import type { CertificateCluster, EksRequest } from '../../../api/types';
import type { FieldError } from '../../../api/fields';
import { CheckboxField, FieldsetField, FormError, TextField } from '../../../components/FormField';
import { paths } from '../../../routes';
import { clusterFormError, type ClusterField } from './eksErrors';
import { eksKeys, eksRequestsPath, useEksOptions } from './eksApi';
import { OptionsSelect } from './OptionsSelect';

/** GitLab's default node count (src/modules/clusters/eks/form.ts DEFAULT_NODE_COUNT). */
const DEFAULT_NODE_COUNT = '3';

interface FormState {
  name: string;
  environment_scope: string;
  managed: boolean;
  role_arn: string;
  kubernetes_version: string;
  key_name: string;
  vpc_id: string;
  subnet_ids: string[];
  security_group_id: string;
  instance_type: string;
  num_nodes: string;
}

const EMPTY: FormState = {
  name: '',
  environment_scope: '*',
  managed: true,
  role_arn: '',
  kubernetes_version: '',
  key_name: '',
  vpc_id: '',
  subnet_ids: [],
  security_group_id: '',
  instance_type: '',
  num_nodes: DEFAULT_NODE_COUNT,
};

/** `name id` for a resource with a Name tag; the id alone when its name is its id (no tag). */
function named(resource: { name: string; id: string }): string {
  return resource.name && resource.name !== resource.id ? `${resource.name} ${resource.id}` : resource.id;
}

/** A count as the API takes it: a number when it is one, else as typed (the API says what is wrong). */
function countOf(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

export function ClusterForm({ projectPath, request }: { projectPath: string; request: EksRequest }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(EMPTY);
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  const versions = useEksOptions(projectPath, request, 'kubernetes_versions');
  const instanceTypes = useEksOptions(projectPath, request, 'instance_types');
  const keyPairs = useEksOptions(projectPath, request, 'key_pairs');
  const vpcs = useEksOptions(projectPath, request, 'vpcs');
  const roles = useEksOptions(projectPath, request, 'roles');
  const subnets = useEksOptions(projectPath, request, 'subnets', form.vpc_id);
  const securityGroups = useEksOptions(projectPath, request, 'security_groups', form.vpc_id);

  // The template's defaults, until the user chooses otherwise.
  const kubernetesVersion = form.kubernetes_version || versions.data?.find((v) => v.default)?.version || '';
  const instanceType = form.instance_type || instanceTypes.data?.find((t) => t.default)?.name || '';

  const set = <K extends keyof FormState>(field: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [field]: value }));
    if (error?.field === field) setError(null);
  };
  const fieldError = (field: ClusterField) => (error?.field === field ? error.message : null);

  function chooseVpc(vpcId: string) {
    // Subnets and security groups belong to a VPC: another VPC, other choices.
    setForm((f) => ({ ...f, vpc_id: vpcId, subnet_ids: [], security_group_id: '' }));
    if (error?.field === 'vpc_id' || error?.field === 'subnet_ids' || error?.field === 'security_group_id') setError(null);
  }

  function toggleSubnet(id: string, on: boolean) {
    set('subnet_ids', on ? [...form.subnet_ids, id] : form.subnet_ids.filter((s) => s !== id));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const cluster = await api.post<CertificateCluster>(`${eksRequestsPath(projectPath)}/${request.id}/clusters`, {
        name: form.name.trim(),
        environment_scope: form.environment_scope,
        managed: form.managed,
        provider_aws_attributes: {
          role_arn: form.role_arn,
          kubernetes_version: kubernetesVersion,
          key_name: form.key_name,
          vpc_id: form.vpc_id,
          subnet_ids: form.subnet_ids,
          security_group_id: form.security_group_id,
          instance_type: instanceType,
          num_nodes: countOf(form.num_nodes),
        },
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.clusters(projectPath) }),
        queryClient.invalidateQueries({ queryKey: eksKeys.request(projectPath, request.id) }),
      ]);
      navigate(paths.certificateCluster(projectPath, cluster.id));
    } catch (err) {
      setError(clusterFormError(err));
      setBusy(false);
    }
  }

  const chooseVpcFirst = form.vpc_id ? undefined : 'Choose a VPC first';
  return (
    <section className="card" aria-labelledby="eks-cluster-title">
      <h2 id="eks-cluster-title">3. Cluster settings</h2>
      <form className="form" onSubmit={submit} noValidate>
        <TextField
          label="Kubernetes cluster name"
          name="name"
          value={form.name}
          onChange={(e) => set('name', e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          hint="Letters, digits, '-' and '_', at most 100 characters (EKS's rule)."
          error={fieldError('name')}
        />
        <TextField
          label="Environment scope"
          name="environment_scope"
          value={form.environment_scope}
          onChange={(e) => set('environment_scope', e.target.value)}
          required
          hint="The environments whose jobs use this cluster: * for all, or a name with * wildcards (production, review/*). One cluster per scope."
          error={fieldError('environment_scope')}
        />
        <OptionsSelect
          label="Service role"
          name="role_arn"
          what="IAM roles"
          list={roles}
          option={(r) => ({ value: r.arn, label: r.name })}
          value={form.role_arn}
          onChange={(v) => set('role_arn', v)}
          placeholder="Choose the service role (role A)"
          hint="Role A, the EKS cluster IAM role, with the AmazonEKSClusterPolicy managed policy."
          error={fieldError('role_arn')}
        />
        <OptionsSelect
          label="Kubernetes version"
          name="kubernetes_version"
          what="Kubernetes versions"
          list={versions}
          option={(v) => ({ value: v.version, label: v.version })}
          value={kubernetesVersion}
          onChange={(v) => set('kubernetes_version', v)}
          error={fieldError('kubernetes_version')}
        />
        <OptionsSelect
          label="Key pair name"
          name="key_name"
          what="key pairs"
          list={keyPairs}
          option={(k) => ({ value: k.name, label: k.name })}
          value={form.key_name}
          onChange={(v) => set('key_name', v)}
          placeholder="Choose a key pair"
          hint="The key pair to connect to the worker nodes, from the cluster's region."
          error={fieldError('key_name')}
        />
        <OptionsSelect
          label="VPC"
          name="vpc_id"
          what="VPCs"
          list={vpcs}
          option={(v) => ({ value: v.id, label: `${named(v)} (${v.cidr_block}${v.default ? ', default' : ''})` })}
          value={form.vpc_id}
          onChange={chooseVpc}
          placeholder="Choose a VPC"
          hint="The VPC of the cluster's resources."
          error={fieldError('vpc_id')}
        />
        <FieldsetField
          legend="Subnets"
          required
          hint="The subnets of the VPC where the worker nodes run: two or more, in at least two availability zones."
          error={fieldError('subnet_ids') ?? (subnets.isError ? subnets.error.message : null)}
        >
          {chooseVpcFirst ? (
            <p className="muted">{chooseVpcFirst}</p>
          ) : subnets.isFetching && !subnets.data ? (
            <p className="muted" role="status">
              Loading subnets…
            </p>
          ) : subnets.isError ? (
            <button type="button" className="button button-small" onClick={() => void subnets.refetch()}>
              Load subnets again
            </button>
          ) : (subnets.data ?? []).length === 0 ? (
            <p className="muted">No subnets in this VPC.</p>
          ) : (
            <ul className="checkbox-list">
              {(subnets.data ?? []).map((s) => (
                <li key={s.id}>
                  <input id={`subnet-${s.id}`} type="checkbox" name="subnet_ids" value={s.id} checked={form.subnet_ids.includes(s.id)} onChange={(e) => toggleSubnet(s.id, e.target.checked)} />
                  <label htmlFor={`subnet-${s.id}`} className="inline-label">
                    {named(s)} ({s.availability_zone}, {s.cidr_block})
                  </label>
                </li>
              ))}
            </ul>
          )}
        </FieldsetField>
        <OptionsSelect
          label="Security group"
          name="security_group_id"
          what="security groups"
          list={securityGroups}
          option={(g) => ({ value: g.id, label: `${g.name} (${g.id})` })}
          value={form.security_group_id}
          onChange={(v) => set('security_group_id', v)}
          placeholder="Choose a security group"
          waitingFor={chooseVpcFirst}
          hint="Applied to the network interfaces EKS creates in the worker nodes' subnets."
          error={fieldError('security_group_id')}
        />
        <OptionsSelect
          label="Instance type"
          name="instance_type"
          what="instance types"
          list={instanceTypes}
          option={(t) => ({ value: t.name, label: t.name })}
          value={instanceType}
          onChange={(v) => set('instance_type', v)}
          hint="The worker nodes' instance type."
          error={fieldError('instance_type')}
        />
        <TextField
          label="Number of nodes"
          name="num_nodes"
          type="number"
          inputMode="numeric"
          min={1}
          max={100}
          value={form.num_nodes}
          onChange={(e) => set('num_nodes', e.target.value)}
          required
          hint="From 1 to 100."
          error={fieldError('num_nodes')}
        />
        <CheckboxField
          label="GitLab-managed cluster"
          name="managed"
          checked={form.managed}
          onChange={(e) => set('managed', e.target.checked)}
          hint="Kubegate creates a namespace and a service account for each project environment that deploys to the cluster."
          error={fieldError('managed')}
        />
        <FormError message={error && error.field === null ? error.message : null} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create Kubernetes cluster'}
          </button>
          <span className="muted small">It takes about ten minutes in AWS.</span>
        </div>
      </form>
    </section>
  );
}
