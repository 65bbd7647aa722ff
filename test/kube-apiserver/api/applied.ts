// What each field manager last applied to each object, for server-side apply's pruning
// (see serverSideApply in patch.ts). Kept beside the store, not in the objects, so clients
// never see it; keyed by uid, so a deleted and re-created object starts afresh.

import type { KubeObject } from './types.js';

export class AppliedConfigurations {
  private readonly configs = new Map<string, unknown>();

  last(obj: KubeObject, manager: string, subresource: string): unknown {
    return this.configs.get(this.key(obj, manager, subresource));
  }

  remember(obj: KubeObject, manager: string, subresource: string, applied: unknown): void {
    this.configs.set(this.key(obj, manager, subresource), structuredClone(applied));
  }

  private key(obj: KubeObject, manager: string, subresource: string): string {
    return `${obj.metadata.uid ?? ''}\u0000${manager}\u0000${subresource}`;
  }
}
