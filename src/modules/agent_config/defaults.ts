/** Limits of the agent configuration file (DESIGN.md §3, document 001). */

/** Larger files are rejected before parsing, so a huge file cannot exhaust the server. */
export const MAX_CONFIG_BYTES = 128 * 1024;

/** GitLab raised these from 100 to 500 in 17.0; entries past them are ignored. */
export const MAX_CI_ACCESS_PROJECTS = 500;
export const MAX_CI_ACCESS_GROUPS = 500;

/** Aliases expanded at most this many times, against "billion laughs" files. */
export const MAX_ALIAS_COUNT = 100;
