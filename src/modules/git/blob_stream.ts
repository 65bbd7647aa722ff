/**
 * Blobs as streams, for the files API: a file's bytes go from `git cat-file` to the
 * client in small chunks and are never held whole in memory (eight concurrent reads of a
 * 10 MB file used to cost the server 250 MB). What GitLab's answer needs before the bytes
 * (`content_sha256`, whether the file is text) comes from a first pass over the same
 * stream, which keeps no bytes either.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { KubegateError } from '../../lib/errors.js';
import { MAX_FILE_BYTES, MAX_STDERR_BYTES } from './defaults.js';
import { gitEnv, runGitOk } from './git.js';
import { OBJECT_ID, validateFilePath } from './names.js';

/** A file's tree entry at a commit: what is known without reading its bytes. */
export interface BlobEntry {
  blobId: string;
  commitId: string;
  mode: string;
  size: number;
}

/**
 * The entry of the file at `path` in commit `commitId`, or null when there is no file
 * there. A file over `maxBytes` is a 413 that says to clone instead.
 */
export async function findBlob(gitDir: string, commitId: string, path: string, maxBytes = MAX_FILE_BYTES): Promise<BlobEntry | null> {
  if (!OBJECT_ID.test(commitId)) throw new Error(`findBlob needs a full commit id, not "${commitId}"`);
  validateFilePath(path);
  const listing = await runGitOk(gitDir, ['ls-tree', '-z', '-l', '--full-tree', commitId, '--', path]);
  for (const record of listing.toString('utf8').split('\0')) {
    const m = /^(\d{6}) (\w+) ([0-9a-f]+) +(-|\d+)\t([\s\S]*)$/.exec(record);
    if (!m || m[5] !== path) continue;
    if (m[2] !== 'blob') return null;
    const size = m[4] === '-' ? 0 : Number(m[4]);
    if (size > maxBytes) {
      throw new KubegateError('payload_too_large', `file ${path} is ${size} bytes, more than the ${maxBytes} bytes the files API serves; clone the repository to get it`);
    }
    return { blobId: m[3]!, commitId, mode: m[1]!, size };
  }
  return null;
}

/**
 * The blob's bytes as a stream straight from `git cat-file`. Destroying the stream (the
 * client went away) ends git; git failing or writing other than `size` bytes ends the
 * stream with an error, so a cut answer never looks complete.
 */
export function blobStream(gitDir: string, entry: Pick<BlobEntry, 'blobId' | 'size'>): Readable {
  if (!OBJECT_ID.test(entry.blobId)) throw new Error(`blobStream needs a full blob id, not "${entry.blobId}"`);
  const child = spawn('git', [`--git-dir=${gitDir}`, 'cat-file', 'blob', entry.blobId], { env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  let bytes = 0;
  child.stderr.on('data', function keepStderr(chunk: Buffer) {
    if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
  });
  child.stdout.on('data', function countBytes(chunk: Buffer) {
    bytes += chunk.length;
  });
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(err));
  child.on('close', function gitDone(code, signal) {
    if (out.destroyed) return;
    if (code !== 0) out.destroy(new Error(`git cat-file ended with ${code ?? signal}: ${stderr.trim()}`));
    else if (bytes !== entry.size) out.destroy(new Error(`git cat-file wrote ${bytes} bytes of a ${entry.size}-byte blob`));
    else out.end();
  });
  out.on('close', function stopGit() {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return out;
}

export interface BlobDigest {
  sha256: string;
  /** Valid UTF-8 without NUL bytes: served as text by `/raw`. */
  text: boolean;
}

/** One pass over the blob for its SHA-256 and whether it is text; no bytes are kept. */
export async function digestBlob(gitDir: string, entry: Pick<BlobEntry, 'blobId' | 'size'>): Promise<BlobDigest> {
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = true;
  for await (const chunk of blobStream(gitDir, entry) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (!text) continue;
    if (chunk.includes(0)) text = false;
    else {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        text = false;
      }
    }
  }
  if (text) {
    try {
      decoder.decode();
    } catch {
      text = false;
    }
  }
  return { sha256: hash.digest('hex'), text };
}
