/**
 * What every project page shares: loading the project (with its loading and error
 * states), the breadcrumbs, and the project's menu (Overview, Operate > Kubernetes
 * clusters, Members), as GitLab lays it out.
 */
import type { ReactNode } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { useProject } from '../api/queries';
import type { Project } from '../api/types';
import { PageHeader, projectCrumbs, type Crumb } from '../components/Layout';
import { ErrorState, Loading } from '../components/States';
import { paths } from '../routes';

interface ProjectFrameProps {
  path: string;
  title: string | ((project: Project) => string);
  /** Crumbs after the project's own. */
  crumbs?: Crumb[];
  actions?: (project: Project) => ReactNode;
  children: (project: Project) => ReactNode;
}

/** The clusters pages, the agent pages and their forms all sit under "Kubernetes clusters". */
const CLUSTERS_SECTION = /\/-\/(clusters|cluster_agents)(\/|$)/;

export function ProjectFrame({ path, title, crumbs = [], actions, children }: ProjectFrameProps) {
  const project = useProject(path);
  const inClusters = CLUSTERS_SECTION.test(useLocation().pathname);
  if (project.isPending) return <Loading what="the project" />;
  if (project.isError) {
    return (
      <>
        <PageHeader title={typeof title === 'string' ? title : path} crumbs={projectCrumbs(path)} />
        <ErrorState error={project.error} what={`project ${path}`} onRetry={() => void project.refetch()} />
      </>
    );
  }
  const p = project.data;
  return (
    <div className="with-sidebar">
      <nav className="sidebar" aria-label="Project">
        <p className="sidebar-title">{p.name}</p>
        <ul>
          <li>
            <NavLink to={paths.project(p.path_with_namespace)} end>
              Project overview
            </NavLink>
          </li>
          <li className="sidebar-section">Operate</li>
          <li>
            <Link to={paths.clusters(p.path_with_namespace)} className={inClusters ? 'active' : undefined} aria-current={inClusters ? 'page' : undefined}>
              Kubernetes clusters
            </Link>
          </li>
          <li className="sidebar-section">Manage</li>
          <li>
            <NavLink to={paths.projectMembers(p.path_with_namespace)}>Members</NavLink>
          </li>
        </ul>
      </nav>
      <div className="with-sidebar-main">
        <PageHeader title={typeof title === 'string' ? title : title(p)} crumbs={[...projectCrumbs(p.path_with_namespace, p.name, p.namespace.kind), ...crumbs]} actions={actions?.(p)} />
        {children(p)}
      </div>
    </div>
  );
}
