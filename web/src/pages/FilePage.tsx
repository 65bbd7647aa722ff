/**
 * A repository file at a ref, with line numbers; `#L<n>` in the URL marks and scrolls to
 * a line (configuration errors link here).
 */
import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, idOf, query } from '../api/client';
import type { RepositoryFile } from '../api/types';
import { ProjectFrame } from './ProjectFrame';
import { ErrorState, Loading } from '../components/States';
import { paths } from '../routes';

/** The text of a base64 (UTF-8) file. */
export function decodeContent(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function lineFromHash(hash: string): number | null {
  const m = /^#L(\d+)$/.exec(hash);
  return m ? Number(m[1]) : null;
}

function FileView({ projectPath, gitRef, filePath }: { projectPath: string; gitRef: string; filePath: string }) {
  const location = useLocation();
  const marked = lineFromHash(location.hash);
  const file = useQuery({
    queryKey: ['file', projectPath, gitRef, filePath],
    queryFn: () => api.get<RepositoryFile>(`/projects/${idOf(projectPath)}/repository/files/${encodeURIComponent(filePath)}${query({ ref: gitRef })}`),
  });

  useEffect(() => {
    if (!file.data || marked === null) return;
    const row = document.getElementById(`L${marked}`);
    row?.scrollIntoView({ block: 'center' });
    row?.focus();
  }, [file.data, marked]);

  if (file.isPending) return <Loading what={filePath} />;
  if (file.isError) return <ErrorState error={file.error} what={`${filePath} at ${gitRef}`} onRetry={() => void file.refetch()} />;
  const lines = decodeContent(file.data.content).replace(/\n$/, '').split('\n');
  return (
    <>
      <p className="muted">
        At <code>{gitRef}</code> (commit <code>{file.data.commit_id.slice(0, 12)}</code>)
      </p>
      <div className="code-view" role="region" aria-label={`${filePath} at ${gitRef}`}>
        <table className="code">
          <tbody>
            {lines.map((text, i) => {
              const n = i + 1;
              return (
                <tr key={n} id={`L${n}`} className={n === marked ? 'line-marked' : undefined} tabIndex={n === marked ? -1 : undefined} aria-current={n === marked ? 'location' : undefined}>
                  <td className="line-number">
                    <Link to={{ hash: `#L${n}` }} aria-label={`Line ${n}`}>
                      {n}
                    </Link>
                  </td>
                  <td className="line-text">
                    <code>{text || ' '}</code>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function FilePage({ path, gitRef, filePath }: { path: string; gitRef: string; filePath: string }) {
  return (
    <ProjectFrame path={path} title={filePath.split('/').pop() ?? filePath} crumbs={[{ label: filePath }]}>
      {(p) => (
        <>
          <FileView projectPath={p.path_with_namespace} gitRef={gitRef} filePath={filePath} />
          <p>
            <Link to={paths.clusters(p.path_with_namespace)}>Back to Kubernetes clusters</Link>
          </p>
        </>
      )}
    </ProjectFrame>
  );
}
