/**
 * Reads files out of a bare repository at a ref, without a work tree. This is what the
 * files API answers from, and what agent configuration reads in-process
 * (`.gitlab/agents/<name>/config.yaml` on the default branch).
 */
import { KubegateError } from '../../lib/errors.js';
import { MAX_FILE_BYTES } from './defaults.js';
import { runGit, runGitOk } from './git.js';
import { OBJECT_ID, looksLikeObjectId, validateFilePath, validateRef } from './names.js';

/** A file as stored at one commit. */
export interface RepositoryFile {
  content: Buffer;
  /** The blob's object id. */
  blobId: string;
  /** The commit the ref resolved to. */
  commitId: string;
  /** The tree entry's mode, e.g. `100644`, `100755` (executable) or `120000` (symlink). */
  mode: string;
}

/**
 * The commit id `ref` names in the repository at `gitDir`, or null when it names none
 * (unknown branch or tag, empty repository, ambiguous short id, not a commit). Branches
 * win over tags, tags over commit ids, as with GitLab. Throws a 400 for refs that are
 * not valid (see `invalidRef`).
 */
export async function resolveRef(gitDir: string, ref: string): Promise<string | null> {
  validateRef(ref);
  const candidates = ref === 'HEAD' || ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  if (looksLikeObjectId(ref)) candidates.push(ref.toLowerCase());
  // One `cat-file --batch-check` answers every candidate, and the ref travels on stdin,
  // never in argv.
  const input = candidates.map((c) => `${c}^{commit}\n`).join('');
  const result = await runGit(gitDir, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input });
  if (result.code !== 0) throw new Error(`git cat-file exited with ${result.code}: ${result.stderr.trim()}`);
  for (const line of result.stdout.toString('utf8').split('\n')) {
    const [id, type] = line.split(' ');
    if (type === 'commit' && id && OBJECT_ID.test(id)) return id;
  }
  return null;
}

/**
 * The file at `path` in commit `commitId` (a full id, e.g. from `resolveRef`), or null
 * when there is no file there (missing, or a directory or submodule). Files larger than
 * `maxBytes` are a 413 that says to clone instead.
 */
export async function readFileAtCommit(gitDir: string, commitId: string, path: string, maxBytes = MAX_FILE_BYTES): Promise<RepositoryFile | null> {
  if (!OBJECT_ID.test(commitId)) throw new Error(`readFileAtCommit needs a full commit id, not "${commitId}"`);
  validateFilePath(path);
  // ls-tree walks into the directories on the way and prints the entry itself:
  // `<mode> <type> <id> <size>\t<path>\0`. The path comes after `--`, literal.
  const listing = await runGitOk(gitDir, ['ls-tree', '-z', '-l', '--full-tree', commitId, '--', path]);
  const entry = listing
    .toString('utf8')
    .split('\0')
    .map(parseTreeEntry)
    .find((e) => e !== null && e.path === path);
  if (!entry || entry.type !== 'blob') return null;
  if (entry.size > maxBytes) {
    throw new KubegateError('payload_too_large', `file ${path} is ${entry.size} bytes, more than the ${maxBytes} bytes the files API serves; clone the repository to get it`);
  }
  const content = await runGitOk(gitDir, ['cat-file', 'blob', entry.id], { maxStdout: maxBytes });
  return { content, blobId: entry.id, commitId, mode: entry.mode };
}

/** `resolveRef` then `readFileAtCommit`: null when the ref or the file does not exist. */
export async function readFileAtRef(gitDir: string, ref: string, path: string): Promise<RepositoryFile | null> {
  validateFilePath(path);
  const commitId = await resolveRef(gitDir, ref);
  if (commitId === null) return null;
  return readFileAtCommit(gitDir, commitId, path);
}

/** The last commit reachable from `commitId` that changed `path` (GitLab's `last_commit_id`). */
export async function lastCommitFor(gitDir: string, commitId: string, path: string): Promise<string> {
  if (!OBJECT_ID.test(commitId)) throw new Error(`lastCommitFor needs a full commit id, not "${commitId}"`);
  validateFilePath(path);
  const out = await runGitOk(gitDir, ['rev-list', '-1', commitId, '--', path]);
  return out.toString('utf8').trim() || commitId;
}

interface TreeEntry {
  mode: string;
  type: string;
  id: string;
  size: number;
  path: string;
}

function parseTreeEntry(record: string): TreeEntry | null {
  const m = /^(\d{6}) (\w+) ([0-9a-f]+) +(-|\d+)\t([\s\S]*)$/.exec(record);
  if (!m) return null;
  return { mode: m[1]!, type: m[2]!, id: m[3]!, size: m[4] === '-' ? 0 : Number(m[4]), path: m[5]! };
}

/** The paths of the files under `prefix` in commit `commitId` (recursive, at most `limit`). */
export async function listFilesAtCommit(gitDir: string, commitId: string, prefix: string | readonly string[], limit = 2000): Promise<string[]> {
  if (!OBJECT_ID.test(commitId)) throw new Error(`listFilesAtCommit needs a full commit id, not "${commitId}"`);
  const out = await runGitOk(gitDir, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commitId, '--', ...(typeof prefix === 'string' ? [prefix] : prefix)]);
  return out.toString('utf8').split('\0').filter(Boolean).slice(0, limit);
}

/** Paths that differ between two commits under `prefix` (`before` all zeros: every file of `after`). */
export async function changedPaths(gitDir: string, before: string, after: string, prefix: string | readonly string[]): Promise<string[]> {
  if (!OBJECT_ID.test(after)) throw new Error(`changedPaths needs a full commit id, not "${after}"`);
  if (/^0+$/.test(before)) return listFilesAtCommit(gitDir, after, prefix);
  const out = await runGitOk(gitDir, ['diff', '--name-only', '-z', '--no-renames', before, after, '--', ...(typeof prefix === 'string' ? [prefix] : prefix)]);
  return out.toString('utf8').split('\0').filter(Boolean);
}
