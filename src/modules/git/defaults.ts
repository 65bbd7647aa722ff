/** Git module defaults: limits and names that other parts of the module share. */

/** The realm git shows when it asks for credentials. */
export const BASIC_REALM = 'Kubegate';

/** The CGI header block of `git http-backend` is tiny; more than this is a broken backend. */
export const MAX_CGI_HEADER_BYTES = 64 * 1024;

/** The largest file the files API serves (it streams them); larger ones are refused with a way out (clone). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/**
 * Reads of files larger than this run at most `MAX_CONCURRENT_LARGE_READS` at a time (each
 * costs a git process and two passes over the blob), with at most
 * `MAX_QUEUED_LARGE_READS` waiting; past that the answer is 429.
 */
export const LARGE_READ_BYTES = 1024 * 1024;
export const MAX_CONCURRENT_LARGE_READS = 4;
export const MAX_QUEUED_LARGE_READS = 64;

/** Longest ref and file path the files API and the reader accept. */
export const MAX_REF_LENGTH = 1024;
export const MAX_PATH_LENGTH = 4096;

/** How much of a git process's stderr is kept for the log when it fails. */
export const MAX_STDERR_BYTES = 8 * 1024;
