/** Every group the user can see, a page at a time. */
import { Link, useSearchParams } from 'react-router';
import { useGroupsPage } from '../api/queries';
import { PageHeader } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { Pagination, pageFrom } from '../components/Pagination';
import { Time } from '../components/Time';
import { paths } from '../routes';

export function GroupsPage() {
  const [search] = useSearchParams();
  const page = pageFrom(search);
  const groups = useGroupsPage(page);
  return (
    <>
      <PageHeader
        title="Groups"
        actions={
          <Link className="button button-primary" to={paths.newGroup()}>
            New group
          </Link>
        }
      />
      {groups.isPending ? (
        <Loading what="groups" />
      ) : groups.isError ? (
        <ErrorState error={groups.error} what="groups" onRetry={() => void groups.refetch()} />
      ) : groups.data.items.length === 0 ? (
        <Empty title="No groups yet">
          <p>Groups hold projects and subgroups; roles given on a group apply to everything in it.</p>
          <Link className="button button-primary" to={paths.newGroup()}>
            Create a group
          </Link>
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Groups</caption>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {groups.data.items.map((g) => (
                  <tr key={g.id}>
                    <td>
                      <Link to={paths.group(g.full_path)}>{g.full_name}</Link>
                      <div className="muted small">{g.full_path}</div>
                    </td>
                    <td>{g.visibility}</td>
                    <td>
                      <Time value={g.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={groups.data.page} totalPages={groups.data.totalPages} label="Groups" />
        </>
      )}
    </>
  );
}
