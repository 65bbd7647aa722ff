// ServiceAccount credentials: the token controller fills Secrets of type
// kubernetes.io/service-account-token, and serviceaccounts/<name>/token
// (TokenRequest, `kubectl create token`) issues tokens on demand. Both
// register the token with the authenticator.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectStore, StoreEvent } from '../api/store.js';
import type { TokenAuthenticator } from '../auth/tokens.js';
import type { SimContext } from '../context.js';
import type { RequestInfo } from '../http/request-info.js';
import { writeJson } from '../http/io.js';
import { methodNotAllowed, notFound } from '../api/status.js';

const SECRETS = '/secrets';
const SERVICE_ACCOUNTS = '/serviceaccounts';
const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

export function startTokenController(store: ObjectStore, tokens: TokenAuthenticator, caCert: string): () => void {
  return store.subscribe(function tokenController(event: StoreEvent) {
    if (event.key !== SECRETS || event.type === 'DELETED') return;
    const secret = event.object;
    if (secret.type !== SA_TOKEN_TYPE) return;
    const data = (secret.data ?? {}) as Record<string, string>;
    if (data.token) return;
    const ns = secret.metadata.namespace!;
    const saName = secret.metadata.annotations?.['kubernetes.io/service-account.name'];
    if (!saName) return;
    const sa = store.get(SERVICE_ACCOUNTS, ns, saName);
    const token = tokens.serviceAccountToken(ns, saName, sa?.metadata.uid);
    // Written on the next tick so the creating request sees its own object first, like the real controller.
    setImmediate(() => {
      const current = store.get(SECRETS, ns, secret.metadata.name!);
      if (!current) return;
      current.data = { ...((current.data ?? {}) as object), token: Buffer.from(token).toString('base64'), namespace: Buffer.from(ns).toString('base64'), 'ca.crt': Buffer.from(caCert).toString('base64') };
      current.metadata.annotations = { ...current.metadata.annotations, 'kubernetes.io/service-account.uid': sa?.metadata.uid ?? '' };
      store.update(SECRETS, current);
    });
  });
}

export function handleTokenRequest(ctx: SimContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
  if (info.verb !== 'create') throw methodNotAllowed();
  const sa = ctx.store.get(SERVICE_ACCOUNTS, info.namespace, info.name);
  if (!sa) throw notFound('', 'serviceaccounts', info.name);
  const token = ctx.tokens.serviceAccountToken(info.namespace, info.name, sa.metadata.uid);
  const expiration = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  req.resume();
  writeJson(res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: info.name, namespace: info.namespace, creationTimestamp: null },
    spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600, boundObjectRef: null },
    status: { token, expirationTimestamp: expiration },
  });
}
