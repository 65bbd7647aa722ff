/**
 * Top-level sections. Kubegate acts on `ci_access` and `flux`; the other sections of
 * GitLab's file are accepted with a warning — many real files carry the deprecated
 * `gitops` section, and a user's file must never be rejected for it (DESIGN.md §3).
 */
import { quote } from './describe.js';
import { suggestion } from './keys.js';

export const USED_SECTIONS = ['ci_access', 'flux'] as const;

export const UNUSED_SECTIONS = ['gitops', 'user_access', 'observability', 'remote_development', 'container_scanning', 'starboard', 'receptive'] as const;

const KNOWN_SECTIONS: readonly string[] = [...USED_SECTIONS, ...UNUSED_SECTIONS];

/** The warning for a top-level key other than `ci_access` and `flux`. */
export function sectionWarning(key: string): string {
  if (key === 'gitops') {
    return (
      'the "gitops" section is deprecated in GitLab and is not used by Kubegate, which does GitOps with Flux ' +
      '(set "flux.webhook_receiver_url" if your receiver is not the default); the section is ignored, and you can remove it.'
    );
  }
  if ((UNUSED_SECTIONS as readonly string[]).includes(key)) {
    return `the ${quote(key)} section is not used by Kubegate; it is ignored, and you can remove it.`;
  }
  return `unknown top-level key ${quote(key)} is ignored; ${suggestion(key, KNOWN_SECTIONS)}`;
}
