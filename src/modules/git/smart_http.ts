/**
 * Git smart HTTP: clone, fetch and push at `<external-url>/<full path>.git`. Registered
 * as a raw handler, ahead of Fastify, so no body parser ever touches Git traffic.
 * Authorises each request, runs `git http-backend`, and after an accepted push
 * publishes one push event per updated ref before the client sees the response end.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Project, User } from '../../store/schema.js';
import { isKubegateError } from '../../lib/errors.js';
import type { IdentityService, Actor } from '../identity/server.js';
import { ANONYMOUS } from '../identity/server.js';
import type { Policy } from '../identity/policy.js';
import { ACCESS } from '../identity/access.js';
import type { ProjectService } from '../projects/server.js';
import type { PushEvents } from '../../server/events.js';
import type { RepositoryStore } from './repos.js';
import { decideGitAccess, gitToken } from './auth.js';
import { runHttpBackend } from './backend.js';
import { configEnv } from './git.js';
import { HOOK_ENV, parsePushLog, protectedBranchesEnv, type RefUpdate } from './hooks.js';
import { accessLevelDescription, branchPermissions, passesAccessLevel } from '../projects/protected_branches.js';
import { isRouteError, matchGitRoute, type GitRoute } from './route.js';
import { BASIC_REALM } from './defaults.js';

export interface GitHttpDeps {
  identity: IdentityService;
  policy: Policy;
  projects: ProjectService;
  repositories: RepositoryStore;
  push: PushEvents;
  logger: Logger;
  /**
   * Lines to show the pusher (`remote: …`) about what an accepted push changed, e.g. an
   * agent configuration with errors. Runs before the push's answer ends.
   */
  pushFeedback?: (project: Project, updates: RefUpdate[]) => Promise<string[]>;
}

/** A raw handler for the app: true when the request was a Git one (and is now handled). */
export function createGitHttpHandler(deps: GitHttpDeps) {
  return function handleGitRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const route = matchGitRoute(req.method ?? 'GET', req.url ?? '/');
    if (route === null) return false;
    if (isRouteError(route)) {
      answer(res, route.status, route.message);
      return true;
    }
    serveGit(deps, route, req, res).catch(function gitRequestFailed(err: unknown) {
      deps.logger.error({ err, project: route.projectPath, service: route.service }, 'git request failed');
      if (!res.headersSent) answer(res, 500, 'Internal Server Error: the Git request failed; try again, and tell the administrator if it keeps failing');
      else res.destroy();
    });
    return true;
  };
}

async function serveGit(deps: GitHttpDeps, route: GitRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  let actor: Actor = ANONYMOUS;
  try {
    const token = gitToken(req.headers);
    if (token !== undefined) actor = await deps.identity.authenticate(token);
  } catch (err) {
    if (isKubegateError(err) && (err.status === 401 || err.status === 403)) return answer(res, err.status, err.message);
    throw err;
  }
  // A full path always has a namespace; a bare number would be looked up as a project id.
  const project = route.projectPath.includes('/') ? await deps.projects.lookup(route.projectPath) : undefined;
  const visible = project !== undefined && (await deps.policy.canSeeProject(actor.user, project));
  const level = project ? await deps.policy.projectAccess(actor.user, project) : ACCESS.none;
  const access = decideGitAccess({
    service: route.service,
    signedIn: actor.user !== null,
    scopes: actor.scopes,
    visible,
    visibility: project?.visibility ?? 'private',
    level,
    projectPath: project?.full_path ?? route.projectPath,
  });
  if (!access.allowed) return answer(res, access.status, access.message);
  const repo = project!;

  const body = route.kind === 'rpc' ? requestBody(req) : null;
  if (body instanceof Error) return answer(res, 415, body.message);
  const compressed = body !== null && body !== req;
  const pushing = route.service === 'receive-pack' && route.kind === 'rpc';
  const pushLog = pushing ? join(tmpdir(), `kubegate-push-${randomUUID()}`) : undefined;
  const env = await backendEnv(deps, repo, route, actor.user, level, pushLog);
  try {
    const result = await runHttpBackend(
      {
        projectRoot: deps.repositories.root,
        pathInfo: `/${repo.id}.git/${route.kind === 'advertise' ? 'info/refs' : `git-${route.service}`}`,
        method: req.method ?? 'GET',
        query: route.kind === 'advertise' ? `service=git-${route.service}` : '',
        contentType: req.headers['content-type'],
        remoteUser: actor.user?.username ?? '',
        remoteAddr: req.socket.remoteAddress ?? '',
        gitProtocol: gitProtocolHeader(req),
        env,
        holdHeadUntilBodyEnd: compressed,
        holdFinalFlush: pushing,
      },
      body,
      res,
    ).catch(function backendFailed(err: Error & { headersSent?: boolean }) {
      if (err.headersSent || res.headersSent) throw err;
      // A body that is not valid gzip is the client's fault, not ours.
      if (/request body/.test(err.message)) return answer(res, 400, `Bad Request: ${err.message}`);
      throw err;
    });
    if (!result) return;
    if (result.status === undefined) {
      deps.logger.error({ project: repo.full_path, service: route.service, exitCode: result.exitCode, stderr: result.stderr }, 'git http-backend sent no response');
      return answer(res, 500, 'Internal Server Error: git http-backend failed; tell the administrator');
    }
    if (pushLog) {
      const updates = await takePushLog(pushLog);
      const pushed = await adoptDefaultBranch(deps, repo, actor.user, level, updates);
      publishPushes(deps, pushed, actor.user, updates);
      const lines = result.sideBand && deps.pushFeedback ? await deps.pushFeedback(pushed, updates).catch((err: unknown) => {
        deps.logger.error({ err, project: repo.full_path }, 'push feedback failed');
        return [];
      }) : [];
      if (lines.length > 0) res.write(sideBandMessages(lines));
    }
    if (result.heldTail && result.heldTail.length > 0) res.write(result.heldTail);
    deps.logger[route.kind === 'rpc' ? 'info' : 'debug'](
      { project: repo.full_path, service: route.service, kind: route.kind, user: actor.user?.username ?? null, status: result.status, durationMs: Date.now() - started },
      'git request',
    );
    res.end();
  } finally {
    if (pushLog) await rm(pushLog, { force: true });
  }
}

/** Per-request git configuration and the hook variables for a push. */
async function backendEnv(deps: GitHttpDeps, project: Project, route: GitRoute, user: User | null, level: number, pushLog: string | undefined): Promise<Record<string, string>> {
  const receive = route.service === 'receive-pack';
  if (receive) await deps.repositories.ensureHooks();
  const env: Record<string, string> = configEnv([
    // http-backend serves receive-pack only when told: here only once the push is authorised.
    ['http.receivepack', receive ? 'true' : 'false'],
    ['http.uploadpack', receive ? 'false' : 'true'],
    ['uploadpack.allowFilter', 'true'],
    ['core.hooksPath', deps.repositories.hooksDir],
  ]);
  if (receive) {
    const admin = user?.admin === 1;
    const rules = await deps.projects.protectedBranches(project.id);
    env[HOOK_ENV.enabled] = '1';
    env[HOOK_ENV.protectedBranches] = protectedBranchesEnv(
      rules.map((r) => ({ pattern: r.name, pushAllowed: passesAccessLevel(r.push_access_level, level, admin), who: accessLevelDescription(r.push_access_level) })),
    );
    if (pushLog) env[HOOK_ENV.pushLog] = pushLog;
  }
  return env;
}

/** The request body, gunzipped when git compressed it; an Error for other encodings. */
function requestBody(req: IncomingMessage): Readable | Error {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return req;
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipped(req);
  return new Error(`Unsupported Media Type: Content-Encoding "${encoding}" is not supported; git sends gzip or nothing`);
}

function gunzipped(req: IncomingMessage): Readable {
  const gunzip = createGunzip();
  req.on('error', (err) => gunzip.destroy(err));
  return req.pipe(gunzip);
}

function gitProtocolHeader(req: IncomingMessage): string | undefined {
  const value = req.headers['git-protocol'];
  // Only the `version=2`-style values git sends; anything else is dropped, not passed on.
  return typeof value === 'string' && /^[A-Za-z0-9=:._-]{1,256}$/.test(value) ? value : undefined;
}

async function takePushLog(path: string): Promise<RefUpdate[]> {
  try {
    return parsePushLog(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing was updated
    throw err;
  }
}

/**
 * The first branch pushed to a project whose default branch does not exist becomes the
 * default branch (GitLab does the same): a user who pushes `master` to a project created
 * with `main` gets their agent configuration read from `master`, not from nowhere.
 */
async function adoptDefaultBranch(deps: GitHttpDeps, project: Project, user: User | null, level: number, updates: RefUpdate[]): Promise<Project> {
  const created = updates.find((u) => u.ref.startsWith('refs/heads/') && /^0+$/.test(u.before) && !/^0+$/.test(u.after));
  if (!created) return project;
  if ((await deps.repositories.resolveRef(project.id, `refs/heads/${project.default_branch}`)) !== null) return project;
  // Only someone who may push to the default branch may choose what it holds: a Developer
  // pushing another branch first must not make their branch the (agent configuration's)
  // default branch.
  const rules = await deps.projects.protectedBranches(project.id);
  if (!branchPermissions(rules, project.default_branch, level, user?.admin === 1).push) return project;
  const branch = created.ref.slice('refs/heads/'.length);
  await deps.repositories.setHead(project.id, branch);
  deps.logger.info({ project: project.full_path, from: project.default_branch, to: branch }, 'default branch set to the first pushed branch');
  return deps.projects.setDefaultBranch(project.id, branch);
}

function publishPushes(deps: GitHttpDeps, project: Project, user: User | null, updates: RefUpdate[]): void {
  for (const update of updates) {
    deps.push.publish({
      project: { id: project.id, path_with_namespace: project.full_path, default_branch: project.default_branch },
      ref: update.ref,
      before: update.before,
      after: update.after,
      user: user ? { id: user.id, username: user.username } : null,
    });
  }
}

/**
 * pkt-lines on side band 2 (progress), which git prints as `remote: <line>`; they go
 * before the answer's final flush-pkt.
 */
function sideBandMessages(lines: readonly string[]): Buffer {
  return Buffer.concat(
    lines.map((line) => {
      const payload = Buffer.concat([Buffer.from([2]), Buffer.from(`${line}\n`, 'utf8')]);
      return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'ascii'), payload]);
    }),
  );
}

/** A plain-text answer: git shows text/plain bodies of failed requests as `remote:` lines. */
function answer(res: ServerResponse, status: number, message: string): void {
  const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' };
  if (status === 401) headers['WWW-Authenticate'] = `Basic realm="${BASIC_REALM}"`;
  res.writeHead(status, headers);
  res.end(`${message}\n`);
}
