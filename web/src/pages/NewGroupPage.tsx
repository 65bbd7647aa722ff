/** Create a group (`POST /groups`), top-level or under a parent the user maintains. */
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, query } from '../api/client';
import type { Group } from '../api/types';
import { formError, type FieldError } from '../api/fields';
import { PageHeader } from '../components/Layout';
import { FormError, SelectField, TextAreaField, TextField } from '../components/FormField';
import { paths } from '../routes';

const FIELDS = ['name', 'path', 'parent_id', 'visibility', 'description'];
const VISIBILITY_OPTIONS = [
  { value: 'private', label: 'Private: only members' },
  { value: 'internal', label: 'Internal: every signed-in user' },
  { value: 'public', label: 'Public: everyone' },
];

/** A path from a name, as the API does when a project is given only a name. */
export function pathFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[^a-z0-9_]+|[^a-z0-9_-]+$/g, '')
    .replace(/-+$/g, '');
}

export function NewGroupPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [search] = useSearchParams();
  const groups = useQuery({ queryKey: ['groups', 'all'], queryFn: () => api.get<Group[]>(`/groups${query({ per_page: 100 })}`) });
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [pathEdited, setPathEdited] = useState(false);
  const [parentId, setParentId] = useState(search.get('parent_id') ?? '');
  const [visibility, setVisibility] = useState('private');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const group = await api.post<Group>('/groups', {
        name,
        path,
        ...(parentId ? { parent_id: Number(parentId) } : {}),
        visibility,
        ...(description.trim() ? { description } : {}),
      });
      await queryClient.invalidateQueries({ queryKey: ['groups'] });
      navigate(paths.group(group.full_path));
    } catch (err) {
      setError(formError(err, FIELDS, 'path'));
      setBusy(false);
    }
  }

  const fieldError = (field: string) => (error?.field === field ? error.message : null);
  return (
    <>
      <PageHeader title="New group" crumbs={[{ label: 'Groups', to: paths.groups() }, { label: 'New group' }]} />
      <form className="form" onSubmit={submit} noValidate>
        <TextField
          label="Group name"
          name="name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (!pathEdited) setPath(pathFromName(e.target.value));
          }}
          required
          error={fieldError('name')}
        />
        <TextField
          label="Group path"
          name="path"
          value={path}
          onChange={(e) => {
            setPath(e.target.value);
            setPathEdited(true);
          }}
          required
          hint="Part of the URL of the group and of its projects."
          error={fieldError('path')}
        />
        <SelectField
          label="Parent group"
          name="parent_id"
          value={parentId}
          onChange={setParentId}
          options={[{ value: '', label: 'None (a top-level group)' }, ...(groups.data ?? []).map((g) => ({ value: String(g.id), label: g.full_path }))]}
          error={fieldError('parent_id')}
        />
        <SelectField label="Visibility" name="visibility" value={visibility} onChange={setVisibility} options={VISIBILITY_OPTIONS} error={fieldError('visibility')} />
        <TextAreaField label="Description (optional)" name="description" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} error={fieldError('description')} />
        <FormError message={error && error.field === null ? error.message : null} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
        </div>
      </form>
    </>
  );
}
