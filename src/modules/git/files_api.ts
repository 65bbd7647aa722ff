/**
 * The repository files API, in GitLab's shape:
 * `GET /api/v4/projects/:id/repository/files/:file_path?ref=` (metadata and base64
 * content) and `…/files/:file_path/raw` (the bytes). `file_path` is URL-encoded
 * (`.gitlab%2Fagents%2Fa%2Fconfig.yaml`); `ref` defaults to the default branch.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Project } from '../../store/schema.js';
import type { Actor } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import type { ProjectService } from '../projects/server.js';
import { forbidden, notFound } from '../../lib/errors.js';
import { parse } from '../../lib/validate.js';
import type { RepositoryStore } from './repos.js';
import type { RepositoryFile } from './reader.js';
import { validateFilePath, validateRef } from './names.js';

export interface FileRouteDeps {
  projects: ProjectService;
  policy: Policy;
  repositories: RepositoryStore;
}

type FileRequest = { Params: { id: string; file_path: string }; Querystring: Record<string, unknown> };

const fileQuery = z.object({ ref: z.string().optional() });

export function registerRepositoryFileRoutes(app: FastifyInstance, deps: FileRouteDeps): void {
  app.get<FileRequest>('/api/v4/projects/:id/repository/files/:file_path', async function getRepositoryFile(request, reply) {
    const found = await findFile(deps, request.actor, request.params, request.query);
    const lastCommitId = await deps.repositories.lastCommitFor(found.project.id, found.file.commitId, found.path);
    setFileHeaders(reply, found, lastCommitId);
    return {
      file_name: posix.basename(found.path),
      file_path: found.path,
      size: found.file.content.length,
      encoding: 'base64',
      content_sha256: sha256(found.file.content),
      ref: found.ref,
      blob_id: found.file.blobId,
      commit_id: found.file.commitId,
      last_commit_id: lastCommitId,
      execute_filemode: found.file.mode === '100755',
      content: found.file.content.toString('base64'),
    };
  });

  app.get<FileRequest>('/api/v4/projects/:id/repository/files/:file_path/raw', async function getRawRepositoryFile(request, reply) {
    const found = await findFile(deps, request.actor, request.params, request.query);
    const lastCommitId = await deps.repositories.lastCommitFor(found.project.id, found.file.commitId, found.path);
    setFileHeaders(reply, found, lastCommitId);
    reply.header('Content-Type', isText(found.file.content) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(posix.basename(found.path))}`);
    return reply.send(found.file.content);
  });
}

interface FoundFile {
  project: Project;
  ref: string;
  path: string;
  file: RepositoryFile;
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
  const file = await deps.repositories.readFileAtCommit(project.id, commitId, path);
  if (!file) throw notFound('File');
  return { project, ref, path, file };
}

/** GitLab's `download_code`: public projects, internal ones for signed-in users, Reporters. */
async function requireRead(policy: Policy, actor: Actor, project: Project): Promise<void> {
  if (project.visibility === 'public' || (actor.user && project.visibility === 'internal')) return;
  if ((await policy.projectAccess(actor.user, project)) >= ACCESS.reporter) return;
  throw forbidden(`403 Forbidden: you need at least the Reporter role on project ${project.full_path} to read its files`);
}

function setFileHeaders(reply: FastifyReply, found: FoundFile, lastCommitId: string): void {
  reply.headers({
    'X-Gitlab-Blob-Id': found.file.blobId,
    'X-Gitlab-Commit-Id': found.file.commitId,
    'X-Gitlab-Content-Sha256': sha256(found.file.content),
    'X-Gitlab-Encoding': 'base64',
    'X-Gitlab-Execute-Filemode': String(found.file.mode === '100755'),
    'X-Gitlab-File-Name': encodeURIComponent(posix.basename(found.path)),
    'X-Gitlab-File-Path': encodeURIComponent(found.path),
    'X-Gitlab-Last-Commit-Id': lastCommitId,
    'X-Gitlab-Ref': encodeURIComponent(found.ref),
    'X-Gitlab-Size': String(found.file.content.length),
  });
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Valid UTF-8 without NUL bytes is served as text; anything else as bytes. */
function isText(content: Buffer): boolean {
  if (content.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}
