/**
 * Server-side Git hooks. They live in one directory of the data dir and are switched on
 * per request (`core.hooksPath` in the environment of `git http-backend`), so they are
 * always the current version, also for repositories created before them, and pushes
 * that do not come through Kubegate's HTTP endpoint run none of them.
 *
 * - `pre-receive` enforces protected branches. The server decides, rule by rule, whether
 *   the pusher may push and passes that in an environment variable; the hook applies it
 *   to each ref and prints the reason, which git shows the user as `remote:`.
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
  /**
   * The protected-branch rules as they apply to the pusher, one per line:
   * `<1 if this rule lets the pusher push, else 0> <pattern> <who may push>` (see
   * `protectedBranchesEnv`). `*` in a pattern matches any run of characters.
   */
  protectedBranches: 'KUBEGATE_PROTECTED_BRANCHES',
  /** A file the post-receive hook appends `<old> <new> <ref>` lines to. */
  pushLog: 'KUBEGATE_PUSH_LOG',
} as const;

export const PROTECTED_PUSH_DENIED = 'Kubegate: You are not allowed to push code to protected branches on this project.';
export const PROTECTED_FORCE_PUSH_DENIED = 'Kubegate: You are not allowed to force push code to a protected branch on this project.';
export const PROTECTED_DELETE_DENIED = 'Kubegate: You can only delete protected branches using the API, after unprotecting them.';

// POSIX sh, so it runs wherever git does. Patterns are matched with `case`, whose `*`
// matches any run of characters (slashes included): the same rule as the server's.
// Pattern characters other than `*` cannot occur (branch-pattern validation refuses
// them, and `protectedBranchesEnv` widens any that slip through to `*`). When several
// rules match a branch, the pusher may push if any of them allows it (GitLab's "most
// permissive rule" behaviour).
const PRE_RECEIVE = `#!/bin/sh
# Installed by Kubegate; do not edit (rewritten on every start).
[ "\${${HOOK_ENV.enabled}:-}" = 1 ] || exit 0

# Prints "<1 if the pusher may push, else 0> <who may push>" for a protected branch,
# nothing for an unprotected one.
kubegate_rule() {
  printf '%s\n' "\${${HOOK_ENV.protectedBranches}:-}" | {
    kg_matched=0
    kg_push=0
    kg_who=
    while read -r kg_allowed kg_pattern kg_rule_who; do
      [ -n "$kg_pattern" ] || continue
      case "$1" in
        $kg_pattern)
          kg_matched=1
          [ "$kg_allowed" = 1 ] && kg_push=1
          kg_who=$kg_rule_who
          ;;
      esac
    done
    [ "$kg_matched" = 1 ] && printf '%s %s\n' "$kg_push" "$kg_who"
  }
}

status=0
while read -r old new ref; do
  case "$ref" in
    refs/heads/*) branch=\${ref#refs/heads/} ;;
    *) continue ;;
  esac
  rule=$(kubegate_rule "$branch")
  [ -n "$rule" ] || continue
  case "$new" in
    *[!0]*) ;;
    *)
      printf '%s\n' "${PROTECTED_DELETE_DENIED} Branch '$branch' is protected." >&2
      status=1
      continue
      ;;
  esac
  if [ "\${rule%% *}" != 1 ]; then
    printf '%s\n' "${PROTECTED_PUSH_DENIED} Branch '$branch' is protected: only \${rule#* } may push to it. Push to another branch instead." >&2
    status=1
    continue
  fi
  case "$old" in
    *[!0]*)
      if ! git merge-base --is-ancestor "$old" "$new" 2>/dev/null; then
        printf '%s\n' "${PROTECTED_FORCE_PUSH_DENIED} Branch '$branch' is protected: merge or rebase onto it instead of rewriting it." >&2
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

const HOOK_MODE = 0o700;

/**
 * Writes the hooks into `dir` (created if needed). Each file is replaced atomically, so
 * a push running meanwhile sees the old hook or the new one, never half of one.
 */
export async function installHooks(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, script] of Object.entries(HOOK_SCRIPTS)) {
    const target = join(dir, name);
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current === script) continue;
    const temp = join(dir, `.${name}.${randomUUID()}`);
    // Only the server's user runs them: executable, private like everything in the data dir.
    await writeFile(temp, script, { mode: HOOK_MODE });
    await chmod(temp, HOOK_MODE);
    await rename(temp, target).catch(async (err: unknown) => {
      await rm(temp, { force: true });
      throw err;
    });
  }
}

/** One protected-branch rule as it applies to the pusher. */
export interface HookRule {
  pattern: string;
  /** Whether this rule lets the pusher push. */
  pushAllowed: boolean;
  /** Who the rule lets push, in words (`Maintainers`, `No one`…). */
  who: string;
}

/**
 * The rules as the hook reads them: `<0|1> <pattern> <who>` per line. Any glob character
 * other than `*` is widened to `*`, so a pattern can only protect more.
 */
export function protectedBranchesEnv(rules: readonly HookRule[]): string {
  return rules
    .filter((r) => !/[\s]/.test(r.pattern) && r.pattern.length > 0)
    .map((r) => `${r.pushAllowed ? 1 : 0} ${r.pattern.replace(/[?[\]\\]/g, '*')} ${r.who.replace(/[\r\n]/g, ' ')}`)
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
