// The "virtual" review resources: answered from the request's identity,
// never stored. `kubectl auth whoami` → SelfSubjectReview,
// `kubectl auth can-i` → SelfSubjectAccessReview (and RulesReview for --list).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceDef } from '../api/resources.js';
import { badRequest, methodNotAllowed } from '../api/status.js';
import type { KubeObject, UserInfo } from '../api/types.js';
import type { SimContext } from '../context.js';
import type { PolicyRule } from '../auth/rbac.js';
import { parseStructured, readBody, writeJson } from './io.js';
import type { RequestInfo } from './request-info.js';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function userInfoJson(user: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: user.username };
  if (user.uid) out.uid = user.uid;
  out.groups = user.groups;
  if (user.extra) out.extra = user.extra;
  return out;
}

function accessAllowed(ctx: SimContext, user: UserInfo, spec: Record<string, unknown>): boolean {
  const ra = spec.resourceAttributes as ResourceAttributes | undefined;
  const nra = spec.nonResourceAttributes as { path?: string; verb?: string } | undefined;
  if (ra) {
    return ctx.rbac.authorize({
      user,
      verb: ra.verb ?? '',
      isResourceRequest: true,
      path: '',
      apiGroup: ra.group ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      namespace: ra.namespace ?? '',
      name: ra.name ?? '',
    });
  }
  if (nra) {
    return ctx.rbac.authorize({ user, verb: nra.verb ?? '', isResourceRequest: false, path: nra.path ?? '', apiGroup: '', resource: '', subresource: '', namespace: '', name: '' });
  }
  throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
}

function rulesReviewStatus(rules: PolicyRule[], isMaster: boolean): unknown {
  const all = isMaster ? [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] : rules;
  return {
    resourceRules: all.filter((r) => r.resources).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames })),
    nonResourceRules: all.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
    incomplete: false,
  };
}

export async function handleReview(ctx: SimContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, def: ResourceDef, user: UserInfo): Promise<void> {
  if (info.verb !== 'create') throw methodNotAllowed();
  const body = parseStructured(await readBody(req), req.headers['content-type']) as KubeObject;
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  const base = { kind: def.kind, apiVersion: apiVersionOf(def.group, info.apiVersion), metadata: { creationTimestamp: null } };
  switch (def.kind) {
    case 'SelfSubjectReview':
      return writeJson(res, 201, { ...base, status: { userInfo: userInfoJson(user) } });
    case 'SelfSubjectAccessReview': {
      const allowed = accessAllowed(ctx, user, spec);
      return writeJson(res, 201, { ...base, spec, status: { allowed, ...(allowed ? { reason: 'allowed by the simulator\'s RBAC' } : {}) } });
    }
    case 'SubjectAccessReview': {
      const subject: UserInfo = { username: String(spec.user ?? ''), groups: (spec.groups as string[] | undefined) ?? [] };
      const allowed = accessAllowed(ctx, subject, spec);
      return writeJson(res, 201, { ...base, spec, status: { allowed } });
    }
    case 'SelfSubjectRulesReview': {
      const namespace = String(spec.namespace ?? '');
      const rules = ctx.rbac.rulesFor(user, namespace);
      return writeJson(res, 201, { ...base, spec, status: rulesReviewStatus(rules, user.groups.includes('system:masters')) });
    }
    case 'TokenReview': {
      const token = String(spec.token ?? '');
      try {
        const reviewed = ctx.tokens.authenticate({ headers: { authorization: `Bearer ${token}` } } as IncomingMessage);
        return writeJson(res, 201, { ...base, spec, status: { authenticated: true, user: userInfoJson(reviewed) } });
      } catch {
        return writeJson(res, 201, { ...base, spec, status: { authenticated: false, error: 'invalid token' } });
      }
    }
    default:
      throw methodNotAllowed();
  }
}
