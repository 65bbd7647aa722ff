// Everything a request handler can reach. Built once per simulator in
// simulator.ts; handlers receive it instead of importing singletons, so two
// simulators in one process never share state.

import type { AppliedConfigurations } from './api/applied.js';
import type { ObjectService } from './api/objects.js';
import type { ResourceRegistry } from './api/resources.js';
import type { ObjectStore } from './api/store.js';
import type { UserInfo } from './api/types.js';
import type { RbacAuthorizer } from './auth/rbac.js';
import type { TokenAuthenticator } from './auth/tokens.js';
import type { PodRuntime } from './pods/runtime.js';
import type { ProxyTargets } from './streams/targets.js';
import type { StreamTracker } from './streams/tracker.js';
import type { RequestHolds } from './http/holds.js';

/** One line per request, for tests that assert who did what (e.g. the identity an agent impersonated). */
export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  query: string;
  verb: string;
  /** The identity the bearer token belongs to. */
  authenticatedUser: UserInfo;
  /** The identity the request acted as (after Impersonate-* headers). */
  user: UserInfo;
  impersonated: boolean;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  code: number;
  /** '2.0' or '1.1'. */
  httpVersion: string;
  upgrade?: string;
}

export interface SimContext {
  store: ObjectStore;
  registry: ResourceRegistry;
  objects: ObjectService;
  /** What each field manager last applied to each object (server-side apply). */
  applied: AppliedConfigurations;
  tokens: TokenAuthenticator;
  rbac: RbacAuthorizer;
  pods: PodRuntime;
  targets: ProxyTargets;
  requests: RequestRecord[];
  streams: StreamTracker;
  /** Requests a test holds until it releases them (`holdRequests`). */
  holds: RequestHolds;
  /** Streams (watch, logs -f, exec…) end when this aborts, so close() never waits on clients. */
  shutdown: AbortSignal;
}
