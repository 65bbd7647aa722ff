/**
 * Pushes files to a hosted repository with the real `git` CLI, as a user would.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerHandle } from './server.js';

const run = promisify(execFile);

export function gitEnv(home: string, caFile?: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', ...(caFile ? { GIT_SSL_CAINFO: caFile } : {}) };
}

/** The clone URL with a token as the basic-auth password. */
export function authUrl(server: ServerHandle, projectPath: string, token = server.rootToken): string {
  const url = new URL(`${server.url}/${projectPath}.git`);
  url.username = 'oauth2';
  url.password = token;
  return url.toString();
}

/**
 * Commits `files` (path → content; null deletes) on `branch` and pushes. Works on an empty
 * repository too. Returns the new commit id.
 */
export async function pushFiles(server: ServerHandle, projectPath: string, files: Record<string, string | Buffer | null>, options: { branch?: string; token?: string; message?: string; output?: { stderr: string } } = {}): Promise<string> {
  const branch = options.branch ?? 'main';
  const home = await mkdtemp(join(tmpdir(), 'kubegate-git-'));
  const env = gitEnv(home, server.caCertFile);
  const dir = join(home, 'work');
  const git = (...args: string[]) => run('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-C', dir, ...args], { env });
  try {
    await run('git', ['clone', '--quiet', authUrl(server, projectPath, options.token), dir], { env });
    const { stdout: heads } = await git('ls-remote', '--heads', 'origin', branch);
    if (heads.trim()) await git('checkout', '--quiet', branch);
    else await git('checkout', '--quiet', '--orphan', branch);
    for (const [path, content] of Object.entries(files)) {
      const file = join(dir, path);
      if (content === null) {
        await rm(file, { force: true });
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
    await git('add', '--all');
    await git('commit', '--quiet', '--allow-empty', '-m', options.message ?? 'update');
    // With `output`, what git shows the user (its `remote:` lines) is kept.
    if (options.output) options.output.stderr = (await git('push', 'origin', `HEAD:refs/heads/${branch}`)).stderr;
    else await git('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    const { stdout } = await git('rev-parse', 'HEAD');
    return stdout.trim();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Whether `branch` exists in the hosted repository (`git ls-remote`). */
export async function branchExists(server: ServerHandle, projectPath: string, branch: string): Promise<boolean> {
  const home = await mkdtemp(join(tmpdir(), 'kubegate-git-'));
  try {
    const { stdout } = await run('git', ['ls-remote', '--heads', authUrl(server, projectPath), branch], { env: gitEnv(home, server.caCertFile) });
    return stdout.split('\n').some((line) => line.endsWith(`\trefs/heads/${branch}`));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * Makes sure `branch` exists (an empty commit pushed as root when it does not): a CI job
 * can only be created for a branch or tag that exists.
 */
export async function ensureBranch(server: ServerHandle, projectPath: string, branch: string): Promise<void> {
  if (!(await branchExists(server, projectPath, branch))) await pushFiles(server, projectPath, {}, { branch, message: `create ${branch}` });
}
