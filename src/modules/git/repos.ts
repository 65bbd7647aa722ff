/**
 * Bare Git repositories on disk, one per project, named by project id so that renaming
 * or moving a project never moves files (GitLab's hashed storage does the same).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RepositoryLifecycle } from '../projects/server.js';

const run = promisify(execFile);

export class RepositoryStore implements RepositoryLifecycle {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'repositories');
  }

  path(projectId: number): string {
    return join(this.root, `${projectId}.git`);
  }

  async create(projectId: number, defaultBranch: string): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const dir = this.path(projectId);
    // A leftover from a crash between `git init` and the database commit is replaced.
    await rm(dir, { recursive: true, force: true });
    await run('git', ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir]);
    await run('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
  }

  async remove(projectId: number): Promise<void> {
    await rm(this.path(projectId), { recursive: true, force: true });
  }
}
