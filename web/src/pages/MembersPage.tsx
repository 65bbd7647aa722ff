/** Members of a group or a project, and adding one by user name with a role. */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, idOf, query } from '../api/client';
import { keys, useMembers } from '../api/queries';
import type { Member, User } from '../api/types';
import { formError, type FieldError } from '../api/fields';
import { PageHeader } from '../components/Layout';
import { FormError, SelectField, TextField } from '../components/FormField';
import { Empty, ErrorState, Loading } from '../components/States';
import { Time } from '../components/Time';
import { ProjectFrame } from './ProjectFrame';
import { paths } from '../routes';

export const ROLES: Record<number, string> = { 10: 'Guest', 20: 'Reporter', 30: 'Developer', 40: 'Maintainer', 50: 'Owner' };
const FIELDS = ['user_id', 'access_level', 'username'];

function MembersList({ kind, path }: { kind: 'groups' | 'projects'; path: string }) {
  const members = useMembers(kind, path);
  if (members.isPending) return <Loading what="members" />;
  if (members.isError) return <ErrorState error={members.error} what="members" onRetry={() => void members.refetch()} />;
  if (members.data.length === 0) return <Empty title="No direct members" />;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Members</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Member since</th>
          </tr>
        </thead>
        <tbody>
          {members.data.map((m) => (
            <tr key={m.id}>
              <td>
                {m.name} <span className="muted">@{m.username}</span>
              </td>
              <td>{ROLES[m.access_level] ?? m.access_level}</td>
              <td>
                <Time value={m.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddMemberForm({ kind, path }: { kind: 'groups' | 'projects'; path: string }) {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [level, setLevel] = useState('30');
  const [error, setError] = useState<FieldError | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      const name = username.trim().replace(/^@/, '');
      if (!name) {
        setError({ field: 'username', message: 'username is missing: type the user name of the person to add' });
        return;
      }
      const [user] = await api.get<User[]>(`/users${query({ username: name })}`);
      if (!user) {
        setError({ field: 'username', message: `There is no user named "${name}"; check the spelling (an administrator creates users).` });
        return;
      }
      const member = await api.post<Member>(`/${kind}/${idOf(path)}/members`, { user_id: user.id, access_level: Number(level) });
      await queryClient.invalidateQueries({ queryKey: keys.members(kind, path) });
      setAdded(`${member.username} is now ${ROLES[member.access_level] ?? member.access_level}.`);
      setUsername('');
    } catch (err) {
      const e = formError(err, FIELDS);
      // The form asks for a user name; the API speaks of the user_id it was turned into.
      setError(e.field === 'user_id' ? { ...e, field: 'username' } : e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form form-inline" onSubmit={submit} noValidate aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <TextField label="User name" name="username" value={username} onChange={(e) => setUsername(e.target.value)} required error={error?.field === 'username' ? error.message : null} />
      <SelectField
        label="Role"
        name="access_level"
        value={level}
        onChange={setLevel}
        options={Object.entries(ROLES).map(([value, label]) => ({ value, label }))}
        error={error?.field === 'access_level' ? error.message : null}
      />
      <FormError message={error && error.field === null ? error.message : null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Add member
        </button>
        <span role="status" className="success">
          {added ?? ''}
        </span>
      </div>
    </form>
  );
}

export function MembersPage({ kind, path }: { kind: 'groups' | 'projects'; path: string }) {
  if (kind === 'projects') {
    return (
      <ProjectFrame path={path} title="Members" crumbs={[{ label: 'Members' }]}>
        {() => (
          <>
            <p className="muted">Roles given on the groups above this project apply here too; the highest one counts.</p>
            <MembersList kind={kind} path={path} />
            <AddMemberForm kind={kind} path={path} />
          </>
        )}
      </ProjectFrame>
    );
  }
  return (
    <>
      <PageHeader title="Members" crumbs={[{ label: 'Groups', to: paths.groups() }, { label: path, to: paths.group(path) }, { label: 'Members' }]} />
      <p className="muted">Roles on a group apply to its subgroups and their projects.</p>
      <MembersList kind={kind} path={path} />
      <AddMemberForm kind={kind} path={path} />
    </>
  );
}
