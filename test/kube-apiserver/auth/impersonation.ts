// Impersonate-* headers, handled like the real server's impersonation
// filter: every requested attribute needs the `impersonate` verb on its own
// resource, the result gains system:authenticated, and ServiceAccount users
// get their SA groups when no group is requested.

import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from '../api/status.js';
import type { UserInfo } from '../api/types.js';
import { forbiddenError, type Attributes, type RbacAuthorizer } from './rbac.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

export function hasImpersonation(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((h) => h.startsWith('impersonate-'));
}

/**
 * Returns the user the request acts as. `rawHeaders` is used for the group
 * and extra lists because Node folds repeated headers into one string.
 * Header names arrive lower-cased on HTTP/2 and as sent on HTTP/1.1.
 */
export function impersonate(requester: UserInfo, rawHeaders: string[], authorizer: RbacAuthorizer): UserInfo {
  let username: string | undefined;
  let uid: string | undefined;
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'impersonate-user') username = value;
    else if (name === 'impersonate-uid') uid = value;
    // One value per header line, never comma-split (as Go's Header.Values): client-go repeats the header.
    else if (name === 'impersonate-group') groups.push(value);
    else if (name.startsWith(EXTRA_PREFIX)) {
      // client-go percent-encodes the key; the server lowercases then unescapes it.
      const key = unescapeExtraKey(name.slice(EXTRA_PREFIX.length));
      (extra[key] ??= []).push(value);
    }
  }
  const hasOthers = groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0;
  if (username === undefined) {
    if (!hasOthers) return requester;
    throw badRequest('requested impersonation of groups, uid or extra without impersonating a user');
  }

  function check(attrs: Omit<Attributes, 'user' | 'verb' | 'isResourceRequest' | 'path' | 'subresource'> & { subresource?: string }): void {
    const full: Attributes = { user: requester, verb: 'impersonate', isResourceRequest: true, path: '', subresource: '', ...attrs };
    if (!authorizer.authorize(full)) throw forbiddenError(full);
  }

  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (sa) check({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[1]!, name: sa[2]! });
  else check({ apiGroup: '', resource: 'users', namespace: '', name: username });
  for (const group of groups) check({ apiGroup: '', resource: 'groups', namespace: '', name: group });
  if (uid !== undefined) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', namespace: '', name: uid });
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) {
      check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, namespace: '', name: value });
    }
  }

  const finalGroups = [...groups];
  if (groups.length === 0 && sa) finalGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]!}`);
  if (username !== 'system:anonymous') {
    if (!finalGroups.includes('system:authenticated') && !finalGroups.includes('system:unauthenticated')) {
      finalGroups.push('system:authenticated');
    }
  } else if (!finalGroups.includes('system:unauthenticated')) {
    finalGroups.push('system:unauthenticated');
  }
  const user: UserInfo = { username, groups: finalGroups };
  if (uid !== undefined) user.uid = uid;
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

