/** Previous/next links for a paged list; the page lives in the URL (`?page=`), so it can be bookmarked. */
import { Link, useLocation } from 'react-router';

function withPage(search: string, page: number): string {
  const params = new URLSearchParams(search);
  if (page > 1) params.set('page', String(page));
  else params.delete('page');
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function Pagination({ page, totalPages, label }: { page: number; totalPages: number; label: string }) {
  const location = useLocation();
  if (totalPages <= 1) return null;
  return (
    <nav className="pagination" aria-label={`${label} pages`}>
      {page > 1 ? (
        <Link to={{ pathname: location.pathname, search: withPage(location.search, page - 1) }} rel="prev">
          Previous
        </Link>
      ) : (
        <span className="muted">Previous</span>
      )}
      <span>
        Page {page} of {totalPages}
      </span>
      {page < totalPages ? (
        <Link to={{ pathname: location.pathname, search: withPage(location.search, page + 1) }} rel="next">
          Next
        </Link>
      ) : (
        <span className="muted">Next</span>
      )}
    </nav>
  );
}

/** The `?page=` of the current URL (1 when absent or not a page number). */
export function pageFrom(search: URLSearchParams): number {
  const page = Number(search.get('page'));
  return Number.isInteger(page) && page > 0 ? page : 1;
}
