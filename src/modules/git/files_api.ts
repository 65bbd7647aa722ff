/**
 * The repository files API, in GitLab's shape:
 * `GET /api/v4/projects/:id/repository/files/:file_path?ref=` (metadata and base64
 * content) and `…/files/:file_path/raw` (the bytes). `file_path` is URL-encoded
 * (`.gitlab%2Fagents%2Fa%2Fconfig.yaml`); `ref` defaults to the default branch.
 */
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Project } from '../../store/schema.js';
import type { Actor } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import type { ProjectService } from '../projects/server.js';
import { KubegateError, forbidden, notFound } from '../../lib/errors.js';
import { parse } from '../../lib/validate.js';
import { Limiter } from '../../lib/limiter.js';
import type { RepositoryStore } from './repos.js';
import { blobStream, digestBlob, findBlob, type BlobDigest, type BlobEntry } from './blob_stream.js';
import { validateFilePath, validateRef } from './names.js';
import { LARGE_READ_BYTES, MAX_CONCURRENT_LARGE_READS, MAX_QUEUED_LARGE_READS } from './defaults.js';

export interface FileRouteDeps {
  projects: ProjectService;
  policy: Policy;
  repositories: RepositoryStore;
}

type FileRequest = { Params: { id: string; file_path: string }; Querystring: Record<string, unknown> };

const fileQuery = z.object({ ref: z.string().optional() });

/**
 * File contents are streamed from git (never whole in memory), and reads of large files
 * run a few at a time: each costs a git process and a pass over the blob.
 */
export function registerRepositoryFileRoutes(app: FastifyInstance, deps: FileRouteDeps): void {
  const largeReads = new Limiter(MAX_CONCURRENT_LARGE_READS, MAX_QUEUED_LARGE_READS);

  app.get<FileRequest>('/api/v4/projects/:id/repository/files/:file_path', async function getRepositoryFile(request, reply) {
    const found = await findFile(deps, request.actor, request.params, request.query);
    const release = await admitRead(largeReads, found.entry);
    try {
      const gitDir = deps.repositories.path(found.project.id);
      const [digest, lastCommitId] = await Promise.all([digestBlob(gitDir, found.entry), deps.repositories.lastCommitFor(found.project.id, found.entry.commitId, found.path)]);
      setFileHeaders(reply, found, lastCommitId, digest);
      // GitLab's field order, `content` last, so that it can follow as it is read.
      const head = {
        file_name: posix.basename(found.path),
        file_path: found.path,
        size: found.entry.size,
        encoding: 'base64',
        content_sha256: digest.sha256,
        ref: found.ref,
        blob_id: found.entry.blobId,
        commit_id: found.entry.commitId,
        last_commit_id: lastCommitId,
        execute_filemode: found.entry.mode === '100755',
      };
      const body = jsonWithBase64Field(head, 'content', blobStream(gitDir, found.entry));
      body.once('close', release);
      reply.type('application/json; charset=utf-8');
      return reply.send(body);
    } catch (err) {
      release();
      throw err;
    }
  });

  app.get<FileRequest>('/api/v4/projects/:id/repository/files/:file_path/raw', async function getRawRepositoryFile(request, reply) {
    const found = await findFile(deps, request.actor, request.params, request.query);
    const release = await admitRead(largeReads, found.entry);
    try {
      const gitDir = deps.repositories.path(found.project.id);
      const [digest, lastCommitId] = await Promise.all([digestBlob(gitDir, found.entry), deps.repositories.lastCommitFor(found.project.id, found.entry.commitId, found.path)]);
      setFileHeaders(reply, found, lastCommitId, digest);
      reply.header('Content-Type', digest.text ? 'text/plain; charset=utf-8' : 'application/octet-stream');
      reply.header('Content-Length', String(found.entry.size));
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(posix.basename(found.path))}`);
      const body = blobStream(gitDir, found.entry);
      body.once('close', release);
      return reply.send(body);
    } catch (err) {
      release();
      throw err;
    }
  });
}

/** A slot for a large read (small ones need none); a 429 naming the limit when too many wait. */
async function admitRead(limiter: Limiter, entry: BlobEntry): Promise<() => void> {
  if (entry.size <= LARGE_READ_BYTES) return () => undefined;
  const release = await limiter.acquire();
  if (!release) {
    throw new KubegateError(
      'too_many_requests',
      `429 Too Many Requests: ${limiter.max} reads of files over ${LARGE_READ_BYTES} bytes are running and ${limiter.maxQueued} more are waiting; retry in a moment, or clone the repository`,
    );
  }
  return release;
}

/**
 * `{...head, "<field>": "<base64 of stream>"}` as a stream: the JSON around the value is
 * written once, the value is encoded as it is read (in runs of 3 bytes, so the pieces
 * join into one valid base64 string).
 */
export function jsonWithBase64Field(head: Record<string, unknown>, field: string, content: Readable): Readable {
  const prefix = `${JSON.stringify(head).slice(0, -1)},${JSON.stringify(field)}:"`;
  let carry = Buffer.alloc(0);
  const encode = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const all = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const whole = all.length - (all.length % 3);
      carry = Buffer.from(all.subarray(whole));
      done(null, whole > 0 ? all.subarray(0, whole).toString('base64') : undefined);
    },
    flush(done) {
      done(null, `${carry.toString('base64')}"}`);
    },
  });
  encode.push(prefix);
  content.on('error', (err) => encode.destroy(err));
  encode.on('close', () => {
    if (!content.destroyed) content.destroy();
  });
  return content.pipe(encode);
}

interface FoundFile {
  project: Project;
  ref: string;
  path: string;
  entry: BlobEntry;
}

async function findFile(deps: FileRouteDeps, actor: Actor, params: FileRequest['Params'], query: unknown): Promise<FoundFile> {
  const project = await deps.projects.findVisible(actor, params.id);
  await requireRead(deps.policy, actor, project);
  const path = validateFilePath(params.file_path);
  const given = parse(fileQuery, query).ref;
  const ref = given === undefined ? project.default_branch : validateRef(given);
  const commitId = await deps.repositories.resolveRef(project.id, ref);
  // GitLab answers an unknown ref (also an empty repository) with "404 Commit Not Found".
  if (commitId === null) throw notFound('Commit');
  const entry = await findBlob(deps.repositories.path(project.id), commitId, path);
  if (!entry) throw notFound('File');
  return { project, ref, path, entry };
}

/** GitLab's `download_code`: public projects, internal ones for signed-in users, Reporters. */
async function requireRead(policy: Policy, actor: Actor, project: Project): Promise<void> {
  if (project.visibility === 'public' || (actor.user && project.visibility === 'internal')) return;
  if ((await policy.projectAccess(actor.user, project)) >= ACCESS.reporter) return;
  throw forbidden(`403 Forbidden: you need at least the Reporter role on project ${project.full_path} to read its files`);
}

function setFileHeaders(reply: FastifyReply, found: FoundFile, lastCommitId: string, digest: BlobDigest): void {
  reply.headers({
    'X-Gitlab-Blob-Id': found.entry.blobId,
    'X-Gitlab-Commit-Id': found.entry.commitId,
    'X-Gitlab-Content-Sha256': digest.sha256,
    'X-Gitlab-Encoding': 'base64',
    'X-Gitlab-Execute-Filemode': String(found.entry.mode === '100755'),
    'X-Gitlab-File-Name': encodeURIComponent(posix.basename(found.path)),
    'X-Gitlab-File-Path': encodeURIComponent(found.path),
    'X-Gitlab-Last-Commit-Id': lastCommitId,
    'X-Gitlab-Ref': encodeURIComponent(found.ref),
    'X-Gitlab-Size': String(found.entry.size),
  });
}
