/**
 * Who a Git request speaks for and what it may do. Git sends HTTP basic credentials:
 * any user name and a personal access token as the password (GitLab's rule). The
 * decision itself is a pure function of the facts, so every branch is unit-tested.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { unauthorized } from '../../lib/errors.js';
import { ACCESS, type PatScope } from '../identity/access.js';
import type { Visibility } from '../../store/schema.js';
import type { GitService } from './route.js';

/**
 * The token in a Git request: the basic-auth password, or a Bearer or `PRIVATE-TOKEN`
 * header (for `http.extraHeader`). Undefined when there are no credentials; a 401 for
 * credentials that are malformed or have no password.
 */
export function gitToken(headers: IncomingHttpHeaders): string | undefined {
  const privateToken = headers['private-token'];
  if (typeof privateToken === 'string' && privateToken.length > 0) return privateToken;
  const auth = headers.authorization;
  if (typeof auth !== 'string' || auth.length === 0) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (!basic) throw unauthorized('HTTP Basic: Access denied. Send any user name and a personal access token as the password');
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  if (password.length === 0) throw unauthorized('HTTP Basic: Access denied. The password must be a personal access token');
  return password;
}

export interface GitAccessFacts {
  service: GitService;
  /** Whether the request carried a valid token (a signed-in user). */
  signedIn: boolean;
  scopes: ReadonlySet<PatScope>;
  /** Whether the project exists and the caller may see it (`Policy.canSeeProject`). */
  visible: boolean;
  visibility: Visibility;
  /** The caller's role on the project (`Policy.projectAccess`). */
  level: number;
  projectPath: string;
}

export type GitAccess = { allowed: true } | { allowed: false; status: 401 | 403 | 404; message: string };

const READ_SCOPES: readonly PatScope[] = ['api', 'read_repository', 'write_repository'];
const WRITE_SCOPES: readonly PatScope[] = ['api', 'write_repository'];

export const ACCESS_DENIED = 'HTTP Basic: Access denied. Use any user name and a personal access token with the read_repository or write_repository scope as the password';
export const PROJECT_NOT_FOUND = "The project you were looking for could not be found or you don't have permission to view it.";

/**
 * GitLab's rules: reading needs a public project, an internal one and a signed-in
 * user, or the Reporter role; pushing needs the Developer role (protected branches are
 * the hook's business). Tokens need a repository scope (or `api`). Without credentials
 * the answer is 401, so that git asks for them; a signed-in user who may not see the
 * project gets 404, as if it did not exist.
 */
export function decideGitAccess(f: GitAccessFacts): GitAccess {
  if (!f.visible) return f.signedIn ? { allowed: false, status: 404, message: PROJECT_NOT_FOUND } : { allowed: false, status: 401, message: ACCESS_DENIED };
  if (f.service === 'receive-pack') {
    if (!f.signedIn) return { allowed: false, status: 401, message: ACCESS_DENIED };
    if (!WRITE_SCOPES.some((s) => f.scopes.has(s))) {
      return { allowed: false, status: 403, message: 'You are not allowed to push code to this project: the token lacks the write_repository scope. Create a personal access token with write_repository (or api) to push.' };
    }
    if (f.level < ACCESS.developer) {
      return { allowed: false, status: 403, message: `You are not allowed to push code to this project: pushing to ${f.projectPath} needs at least the Developer role.` };
    }
    return { allowed: true };
  }
  if (f.signedIn && !READ_SCOPES.some((s) => f.scopes.has(s))) {
    return { allowed: false, status: 403, message: 'You are not allowed to download code from this project: the token lacks the read_repository scope. Create a personal access token with read_repository (or api).' };
  }
  if (f.visibility === 'public' || (f.signedIn && f.visibility === 'internal') || f.level >= ACCESS.reporter) return { allowed: true };
  if (!f.signedIn) return { allowed: false, status: 401, message: ACCESS_DENIED };
  return { allowed: false, status: 403, message: `You are not allowed to download code from this project: reading ${f.projectPath} needs at least the Reporter role.` };
}
