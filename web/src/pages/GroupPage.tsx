/** A group: its subgroups and projects, and the way to its members. */
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, idOf, query } from '../api/client';
import { useGroup } from '../api/queries';
import type { Group, Project } from '../api/types';
import { PageHeader, type Crumb } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { paths } from '../routes';

function groupCrumbs(path: string): Crumb[] {
  const parts = path.split('/');
  return [{ label: 'Groups', to: paths.groups() }, ...parts.map((part, i) => ({ label: part, to: paths.group(parts.slice(0, i + 1).join('/')) }))];
}

export function GroupPage({ path }: { path: string }) {
  const group = useGroup(path);
  const subgroups = useQuery({ queryKey: ['subgroups', path], queryFn: () => api.get<Group[]>(`/groups/${idOf(path)}/subgroups${query({ per_page: 100 })}`) });
  const projects = useQuery({ queryKey: ['groupProjects', path], queryFn: () => api.get<Project[]>(`/groups/${idOf(path)}/projects${query({ per_page: 100 })}`) });

  if (group.isPending) return <Loading what="the group" />;
  if (group.isError) {
    return (
      <>
        <PageHeader title={path} crumbs={groupCrumbs(path)} />
        <ErrorState error={group.error} what={`group ${path}`} onRetry={() => void group.refetch()} />
      </>
    );
  }
  const g = group.data;
  return (
    <>
      <PageHeader
        title={g.full_name}
        crumbs={groupCrumbs(g.full_path)}
        actions={
          <>
            <Link className="button" to={paths.groupMembers(g.full_path)}>
              Members
            </Link>
            <Link className="button" to={paths.newGroup(g.id)}>
              New subgroup
            </Link>
            <Link className="button button-primary" to={paths.newProject(g.id)}>
              New project
            </Link>
          </>
        }
      />
      {g.description ? <p>{g.description}</p> : null}
      <section>
        <h2>Subgroups</h2>
        {subgroups.isPending ? (
          <Loading what="subgroups" />
        ) : subgroups.isError ? (
          <ErrorState error={subgroups.error} what="subgroups" onRetry={() => void subgroups.refetch()} />
        ) : subgroups.data.length === 0 ? (
          <Empty title="No subgroups" />
        ) : (
          <ul className="link-list">
            {subgroups.data.map((s) => (
              <li key={s.id}>
                <Link to={paths.group(s.full_path)}>{s.name}</Link> <span className="muted small">{s.full_path}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>Projects</h2>
        {projects.isPending ? (
          <Loading what="projects" />
        ) : projects.isError ? (
          <ErrorState error={projects.error} what="projects" onRetry={() => void projects.refetch()} />
        ) : projects.data.length === 0 ? (
          <Empty title="No projects in this group">
            <Link className="button button-primary" to={paths.newProject(g.id)}>
              Create a project here
            </Link>
          </Empty>
        ) : (
          <ul className="link-list">
            {projects.data.map((p) => (
              <li key={p.id}>
                <Link to={paths.project(p.path_with_namespace)}>{p.name}</Link> <span className="muted small">{p.path_with_namespace}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
