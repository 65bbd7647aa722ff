import { Link } from 'react-router';
import { PageHeader } from '../components/Layout';
import { paths } from '../routes';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no page at this address. Go to <Link to={paths.projects()}>your projects</Link>.
      </p>
    </>
  );
}
