/** A project's overview: what it is, how to clone it, and where its clusters are. */
import { Link } from 'react-router';
import { ProjectFrame } from './ProjectFrame';
import { CopyButton } from '../components/CopyButton';
import { Time } from '../components/Time';
import { paths } from '../routes';

export function ProjectPage({ path }: { path: string }) {
  return (
    <ProjectFrame path={path} title={(p) => p.name}>
      {(p) => (
        <>
          {p.description ? <p>{p.description}</p> : null}
          <dl className="facts">
            <dt>Path</dt>
            <dd>{p.path_with_namespace}</dd>
            <dt>Visibility</dt>
            <dd>{p.visibility}</dd>
            <dt>Default branch</dt>
            <dd>
              <code>{p.default_branch}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={p.created_at} />
            </dd>
            <dt>Clone with HTTPS</dt>
            <dd>
              <code className="break">{p.http_url_to_repo}</code> <CopyButton text={p.http_url_to_repo} label="Copy URL" />
            </dd>
          </dl>
          <section className="card">
            <h2>Kubernetes clusters</h2>
            <p>
              Agents registered in this project connect clusters to Kubegate. Their configuration lives in this repository, at <code>.gitlab/agents/&lt;agent name&gt;/config.yaml</code> on
              the default branch.
            </p>
            <Link className="button" to={paths.clusters(p.path_with_namespace)}>
              Open Kubernetes clusters
            </Link>
          </section>
        </>
      )}
    </ProjectFrame>
  );
}
