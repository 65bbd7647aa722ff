/**
 * The data dir holds the database, every Git repository and the server's keys: nobody but
 * the server's user may read it. A new one is created 0700 (whatever the umask); files the
 * server creates in it are 0600 (directories 0700). An existing data dir that others can
 * read or enter is left as the operator made it (it may be a mount), with a warning at
 * start that says how to close it.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

/** Modes of what the server creates in the data dir. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/**
 * The umask the server runs under: also what git and its hooks create (objects, refs,
 * push logs) is then private, without each call site having to say so.
 */
export const SERVER_UMASK = 0o077;

/** Creates the data dir (0700) or, when it exists, warns if others may read or enter it. */
export function prepareDataDir(dir: string, logger: Logger): void {
  let mode: number;
  try {
    mode = statSync(dir).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // `mode` is filtered through the umask; a umask never widens it, but say it exactly.
    chmodSync(dir, PRIVATE_DIR_MODE);
    return;
  }
  const open = mode & 0o077;
  if (open !== 0) {
    logger.warn(
      { dataDir: dir, mode: `0${(mode & 0o777).toString(8)}` },
      `the data dir ${dir} can be read by other users (mode 0${(mode & 0o777).toString(8)}); it holds the database, the Git repositories and the server's keys: run "chmod -R go-rwx ${dir}" (the server creates new files private in any case)`,
    );
  }
}
