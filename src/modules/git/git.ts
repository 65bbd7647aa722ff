/**
 * Runs git against the server's bare repositories with an environment of our making:
 * the server's own environment holds secrets (root token, database URL) that git and
 * its hooks must never see, and user or system git configuration must not change how
 * the server's repositories behave.
 */
import { spawn } from 'node:child_process';
import { MAX_STDERR_BYTES } from './defaults.js';

/** The environment every git process the server starts gets, plus `extra`. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // Paths from users are file names, never pathspec magic such as `:(glob)`.
    GIT_LITERAL_PATHSPECS: '1',
    ...extra,
  };
}

/**
 * `GIT_CONFIG_COUNT`-style variables: configuration that holds for one git process
 * (and its children, hooks included) without touching any config file.
 */
export function configEnv(entries: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  /** Written to git's stdin, which is then closed. */
  input?: string | Buffer;
  /** Stdout larger than this fails the call (the process is killed). */
  maxStdout?: number;
}

/**
 * Runs `git --git-dir=<gitDir> <args>` and collects its output. Callers pass only
 * validated values in `args` (nothing that could start with `-`), or put user input
 * after `--` or on stdin.
 */
export function runGit(gitDir: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const maxStdout = options.maxStdout ?? 16 * 1024 * 1024;
  return new Promise(function runGitProcess(resolve, reject) {
    const child = spawn('git', [`--git-dir=${gitDir}`, ...args], { env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let tooLarge = false;
    child.stdout.on('data', function collectStdout(chunk: Buffer) {
      outBytes += chunk.length;
      if (outBytes > maxStdout) {
        tooLarge = true;
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', function collectStderr(chunk: Buffer) {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    // git may exit before reading all of stdin; that is its answer, not our error.
    child.stdin.on('error', () => undefined);
    child.on('close', function gitExited(code, signal) {
      if (tooLarge) return reject(new Error(`git ${args[0]} wrote more than ${maxStdout} bytes`));
      if (code === null) return reject(new Error(`git ${args[0]} was killed by ${signal}`));
      resolve({ code, stdout: Buffer.concat(out), stderr: stderr.slice(0, MAX_STDERR_BYTES) });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like `runGit`, but a non-zero exit is an error that carries git's stderr. */
export async function runGitOk(gitDir: string, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  const result = await runGit(gitDir, args, options);
  if (result.code !== 0) throw new Error(`git ${args[0]} exited with ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}
