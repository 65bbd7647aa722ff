/** Git module defaults: limits and names that other parts of the module share. */

/** The realm git shows when it asks for credentials. */
export const BASIC_REALM = 'Kubegate';

/** The CGI header block of `git http-backend` is tiny; more than this is a broken backend. */
export const MAX_CGI_HEADER_BYTES = 64 * 1024;

/** The files API reads a blob into memory; larger files are refused with a way out (clone). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Longest ref and file path the files API and the reader accept. */
export const MAX_REF_LENGTH = 1024;
export const MAX_PATH_LENGTH = 4096;

/** How much of a git process's stderr is kept for the log when it fails. */
export const MAX_STDERR_BYTES = 8 * 1024;
