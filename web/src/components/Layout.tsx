/** The frame of every signed-in page: a skip link, the top bar, breadcrumbs, the page. */
import { useEffect, type ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useSession } from '../session/SessionContext';
import { paths } from '../routes';

export interface Crumb {
  label: string;
  to?: string;
}

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Kubegate`;
  }, [title]);
}

export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={paths.home()} className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" /> Kubegate
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to={paths.projects()}>Projects</NavLink>
            </li>
            <li>
              <NavLink to={paths.groups()}>Groups</NavLink>
            </li>
            {state.status === 'signedIn' && state.user.is_admin ? (
              <li>
                <NavLink to={paths.adminSettings()}>Admin settings</NavLink>
              </li>
            ) : null}
          </ul>
        </nav>
        {state.status === 'signedIn' ? (
          <div className="user">
            <span>
              Signed in as <strong>{state.user.username}</strong>
            </span>
            <button type="button" className="button button-small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

export function PageHeader({ title, crumbs = [], actions }: { title: string; crumbs?: Crumb[]; actions?: ReactNode }) {
  usePageTitle(title);
  return (
    <div className="page-header">
      {crumbs.length > 0 ? (
        <nav aria-label="Breadcrumb" className="breadcrumbs">
          <ol>
            {crumbs.map((c) => (
              <li key={`${c.label}-${c.to ?? ''}`}>{c.to ? <Link to={c.to}>{c.label}</Link> : <span>{c.label}</span>}</li>
            ))}
          </ol>
        </nav>
      ) : null}
      <div className="page-title">
        <h1>{title}</h1>
        {actions ? <div className="actions">{actions}</div> : null}
      </div>
    </div>
  );
}

/**
 * Breadcrumbs of a project page: its namespace path, then the project. A user's own
 * namespace has no group page, so it is not a link.
 */
export function projectCrumbs(projectPath: string, projectName?: string, namespaceKind?: string): Crumb[] {
  const parts = projectPath.split('/');
  const crumbs: Crumb[] = parts.slice(0, -1).map((_, i) => {
    const groupPath = parts.slice(0, i + 1).join('/');
    return namespaceKind === 'user' ? { label: parts[i]! } : { label: parts[i]!, to: paths.group(groupPath) };
  });
  crumbs.push({ label: projectName ?? parts[parts.length - 1]!, to: paths.project(projectPath) });
  return crumbs;
}
