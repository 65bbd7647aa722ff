/**
 * Server-side Git hooks. They live in one directory of the data dir and are switched on
 * per request (`core.hooksPath` in the environment of `git http-backend`), so they are
 * always the current version, also for repositories created before them, and pushes
 * that do not come through Kubegate's HTTP endpoint run none of them.
 *
 * - `pre-receive` enforces GitLab's protected-branch defaults. The server decides who
 *   may push to protected branches and passes that in environment variables; the hook
 *   applies it to each ref and prints the reason, which git shows the user as `remote:`.
 * - `post-receive` hands the refs that were actually updated back to the server, which
 *   publishes push events from them.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** Variables the server sets for the hooks; absent, the hooks do nothing. */
export const HOOK_ENV = {
  /** `1` when the push came through Kubegate and the checks apply. */
  enabled: 'KUBEGATE_HOOKS',
  /** Protected branch patterns, one per line (`*` matches any run of characters). */
  protectedBranches: 'KUBEGATE_PROTECTED_BRANCHES',
  /** `1` when the pusher may push to protected branches (Maintainer and up). */
  pushProtected: 'KUBEGATE_PUSH_PROTECTED',
  /** A file the post-receive hook appends `<old> <new> <ref>` lines to. */
  pushLog: 'KUBEGATE_PUSH_LOG',
} as const;

export const PROTECTED_PUSH_DENIED = 'Kubegate: You are not allowed to push code to protected branches on this project.';
export const PROTECTED_FORCE_PUSH_DENIED = 'Kubegate: You are not allowed to force push code to a protected branch on this project.';
export const PROTECTED_DELETE_DENIED = 'Kubegate: You can only delete protected branches using the API, after unprotecting them.';

// POSIX sh, so it runs wherever git does. Patterns are matched with `case`, whose `*`
// matches any run of characters (slashes included): the same rule as the server's.
// Pattern characters other than `*` cannot occur (branch-pattern validation refuses
// them, and `protectedPatternsEnv` widens any that slip through to `*`).
const PRE_RECEIVE = `#!/bin/sh
# Installed by Kubegate; do not edit (rewritten on every start).
[ "\${${HOOK_ENV.enabled}:-}" = 1 ] || exit 0

kubegate_protected() {
  kg_ifs=$IFS
  IFS='
'
  set -f
  for kg_pattern in $${HOOK_ENV.protectedBranches}; do
    case "$1" in
      $kg_pattern) IFS=$kg_ifs; set +f; return 0 ;;
    esac
  done
  IFS=$kg_ifs
  set +f
  return 1
}

status=0
while read -r old new ref; do
  case "$ref" in
    refs/heads/*) branch=\${ref#refs/heads/} ;;
    *) continue ;;
  esac
  kubegate_protected "$branch" || continue
  case "$new" in
    *[!0]*) ;;
    *)
      printf '%s\\n' "${PROTECTED_DELETE_DENIED} Branch '$branch' is protected." >&2
      status=1
      continue
      ;;
  esac
  if [ "\${${HOOK_ENV.pushProtected}:-0}" != 1 ]; then
    printf '%s\\n' "${PROTECTED_PUSH_DENIED} Branch '$branch' is protected: pushing to it needs the Maintainer role. Push to another branch instead." >&2
    status=1
    continue
  fi
  case "$old" in
    *[!0]*)
      if ! git merge-base --is-ancestor "$old" "$new" 2>/dev/null; then
        printf '%s\\n' "${PROTECTED_FORCE_PUSH_DENIED} Branch '$branch' is protected: merge or rebase onto it instead of rewriting it." >&2
        status=1
      fi
      ;;
  esac
done
exit $status
`;

const POST_RECEIVE = `#!/bin/sh
# Installed by Kubegate; do not edit (rewritten on every start).
[ -n "\${${HOOK_ENV.pushLog}:-}" ] || exit 0
cat >> "$${HOOK_ENV.pushLog}"
`;

export const HOOK_SCRIPTS: Readonly<Record<string, string>> = { 'pre-receive': PRE_RECEIVE, 'post-receive': POST_RECEIVE };

/**
 * Writes the hooks into `dir` (created if needed). Each file is replaced atomically, so
 * a push running meanwhile sees the old hook or the new one, never half of one.
 */
export async function installHooks(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, script] of Object.entries(HOOK_SCRIPTS)) {
    const target = join(dir, name);
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current === script) continue;
    const temp = join(dir, `.${name}.${randomUUID()}`);
    await writeFile(temp, script, { mode: 0o755 });
    await chmod(temp, 0o755);
    await rename(temp, target).catch(async (err: unknown) => {
      await rm(temp, { force: true });
      throw err;
    });
  }
}

/**
 * The protected-branch patterns as the hook reads them: one per line. Any glob
 * character other than `*` is widened to `*`, so a pattern can only protect more.
 */
export function protectedPatternsEnv(patterns: readonly string[]): string {
  return patterns
    .filter((p) => !/[\r\n]/.test(p))
    .map((p) => p.replace(/[?[\]\\]/g, '*'))
    .join('\n');
}

/** One ref update as git reports it to post-receive. */
export interface RefUpdate {
  ref: string;
  before: string;
  after: string;
}

/** Parses post-receive input: `<old> <new> <ref>` per line; other lines are ignored. */
export function parsePushLog(text: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line.trimEnd());
    if (m) updates.push({ before: m[1]!, after: m[2]!, ref: m[3]! });
  }
  return updates;
}
