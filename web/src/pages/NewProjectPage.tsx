/** Create a project (`POST /projects`) in the user's namespace or a group they may create in. */
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, query } from '../api/client';
import type { Group, Project } from '../api/types';
import { formError, type FieldError } from '../api/fields';
import { PageHeader } from '../components/Layout';
import { FormError, SelectField, TextAreaField, TextField } from '../components/FormField';
import { useCurrentUser } from '../session/SessionContext';
import { paths } from '../routes';

const FIELDS = ['name', 'path', 'namespace_id', 'visibility', 'description', 'default_branch'];
const VISIBILITY_OPTIONS = [
  { value: 'private', label: 'Private: only members' },
  { value: 'internal', label: 'Internal: every signed-in user' },
  { value: 'public', label: 'Public: everyone' },
];

export function NewProjectPage() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [search] = useSearchParams();
  const groups = useQuery({ queryKey: ['groups', 'all'], queryFn: () => api.get<Group[]>(`/groups${query({ per_page: 100 })}`) });
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [namespaceId, setNamespaceId] = useState(search.get('namespace_id') ?? '');
  const [visibility, setVisibility] = useState('private');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const project = await api.post<Project>('/projects', {
        name,
        ...(path.trim() ? { path: path.trim() } : {}),
        ...(namespaceId ? { namespace_id: Number(namespaceId) } : {}),
        visibility,
        ...(description.trim() ? { description } : {}),
      });
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      navigate(paths.project(project.path_with_namespace));
    } catch (err) {
      setError(formError(err, FIELDS, 'path'));
      setBusy(false);
    }
  }

  const namespaceOptions = [
    { value: '', label: `${user.username} (your personal namespace)` },
    ...(groups.data ?? []).map((g) => ({ value: String(g.id), label: g.full_path })),
  ];
  const fieldError = (field: string) => (error?.field === field ? error.message : null);

  return (
    <>
      <PageHeader title="New project" crumbs={[{ label: 'Projects', to: paths.projects() }, { label: 'New project' }]} />
      <form className="form" onSubmit={submit} noValidate>
        <TextField label="Project name" name="name" value={name} onChange={(e) => setName(e.target.value)} required error={fieldError('name')} />
        <TextField
          label="Project path (optional)"
          name="path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          hint="Part of the project's URL and Git address. Made from the name when empty."
          error={fieldError('path')}
        />
        <SelectField
          label="Namespace"
          name="namespace_id"
          value={namespaceId}
          onChange={setNamespaceId}
          options={namespaceOptions}
          hint={groups.isError ? `The groups could not be loaded (${groups.error.message}); the project can still go in your namespace.` : 'The group (or your namespace) the project belongs to.'}
          error={fieldError('namespace_id')}
        />
        <SelectField label="Visibility" name="visibility" value={visibility} onChange={setVisibility} options={VISIBILITY_OPTIONS} error={fieldError('visibility')} />
        <TextAreaField label="Description (optional)" name="description" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} error={fieldError('description')} />
        <FormError message={error && error.field === null ? error.message : null} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create project'}
          </button>
        </div>
      </form>
    </>
  );
}
