/**
 * Bare Git repositories on disk, one per project, named by project id so that renaming
 * or moving a project never moves files (GitLab's hashed storage does the same).
 *
 * This is also the in-process way to read them: `readFileAtRef` is what agent
 * configuration uses (it is on `app.services.repositories`).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RepositoryLifecycle } from '../projects/server.js';
import { installHooks } from './hooks.js';
import { runGitOk } from './git.js';
import { lastCommitFor, readFileAtCommit, readFileAtRef, resolveRef, type RepositoryFile } from './reader.js';

export type { RepositoryFile } from './reader.js';

const run = promisify(execFile);

export class RepositoryStore implements RepositoryLifecycle {
  readonly root: string;
  /** The server's Git hooks, shared by every repository (see hooks.ts). */
  readonly hooksDir: string;
  private hooksInstalled: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'repositories');
    this.hooksDir = join(dataDir, 'git-hooks');
  }

  path(projectId: number): string {
    return join(this.root, `${projectId}.git`);
  }

  async create(projectId: number, defaultBranch: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await this.ensureHooks();
    const dir = this.path(projectId);
    // A leftover from a crash between `git init` and the database commit is replaced.
    await rm(dir, { recursive: true, force: true });
    // `--shared=0600` (core.sharedRepository): git makes every file it writes in the
    // repository 0600 and every directory 0700, whatever the umask of the process pushing.
    await run('git', ['init', '--bare', '--quiet', '--shared=0600', `--initial-branch=${defaultBranch}`, dir]);
    await run('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
    // `--shared` also turns on receive.denyNonFastforwards; force pushes are for the
    // protected-branch rules to refuse (pre-receive hook), not for every branch.
    await run('git', ['-C', dir, 'config', 'receive.denyNonFastforwards', 'false']);
  }

  async remove(projectId: number): Promise<void> {
    await rm(this.path(projectId), { recursive: true, force: true });
  }

  /**
   * Writes the current hooks once per process (retried after a failure). Pushes through
   * the HTTP endpoint wait for it, so they never run without the protected-branch check.
   */
  ensureHooks(): Promise<void> {
    if (!this.hooksInstalled) {
      this.hooksInstalled = installHooks(this.hooksDir).catch((err: unknown) => {
        this.hooksInstalled = undefined;
        throw err;
      });
    }
    return this.hooksInstalled;
  }

  /**
   * The commit id `ref` (branch, tag, `refs/…`, `HEAD` or commit id) names in the
   * project's repository, or null. Throws a 400 `KubegateError` for an invalid ref.
   */
  /** Points the repository's HEAD (what a clone checks out) at a branch. */
  async setHead(projectId: number, branch: string): Promise<void> {
    await runGitOk(this.path(projectId), ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  }

  resolveRef(projectId: number, ref: string): Promise<string | null> {
    return resolveRef(this.path(projectId), ref);
  }

  /**
   * The file at `path` on `ref`, or null when the ref or the file does not exist (also
   * in an empty repository). Throws a 400 for an invalid ref or path, a 413 for a file
   * over the size limit. Example: agent configuration reads
   * `readFileAtRef(project.id, project.default_branch, '.gitlab/agents/a/config.yaml')`.
   */
  readFileAtRef(projectId: number, ref: string, path: string): Promise<RepositoryFile | null> {
    return readFileAtRef(this.path(projectId), ref, path);
  }

  /** The file at `path` in a commit from `resolveRef`, or null. */
  readFileAtCommit(projectId: number, commitId: string, path: string): Promise<RepositoryFile | null> {
    return readFileAtCommit(this.path(projectId), commitId, path);
  }

  /** The last commit reachable from `commitId` that changed `path`. */
  lastCommitFor(projectId: number, commitId: string, path: string): Promise<string> {
    return lastCommitFor(this.path(projectId), commitId, path);
  }
}
