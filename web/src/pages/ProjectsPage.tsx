/** Every project the user can see, newest last (the API's order), a page at a time. */
import { Link, useSearchParams } from 'react-router';
import { useProjectsPage } from '../api/queries';
import { PageHeader } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { Pagination, pageFrom } from '../components/Pagination';
import { Time } from '../components/Time';
import { paths } from '../routes';

export function ProjectsPage() {
  const [search] = useSearchParams();
  const page = pageFrom(search);
  const projects = useProjectsPage(page);
  return (
    <>
      <PageHeader
        title="Projects"
        actions={
          <Link className="button button-primary" to={paths.newProject()}>
            New project
          </Link>
        }
      />
      {projects.isPending ? (
        <Loading what="projects" />
      ) : projects.isError ? (
        <ErrorState error={projects.error} what="projects" onRetry={() => void projects.refetch()} />
      ) : projects.data.items.length === 0 ? (
        <Empty title="No projects yet">
          <p>A project holds the agent configuration in its repository and registers the agents of your clusters.</p>
          <Link className="button button-primary" to={paths.newProject()}>
            Create a project
          </Link>
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Projects</caption>
              <thead>
                <tr>
                  <th scope="col">Project</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {projects.data.items.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link to={paths.project(p.path_with_namespace)}>{p.name_with_namespace}</Link>
                      <div className="muted small">{p.path_with_namespace}</div>
                    </td>
                    <td>{p.visibility}</td>
                    <td>
                      <Time value={p.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={projects.data.page} totalPages={projects.data.totalPages} label="Projects" />
        </>
      )}
    </>
  );
}
