/**
 * Lifetimes of the certificates a server generates for itself when it has no
 * `--tls-cert` (the default: HTTPS out of the box, see issue 9 and CONTRACT.md).
 */

/** The private CA lives long: every kubeconfig and agent that trusts it must be redone when it changes. */
export const CA_VALIDITY_DAYS = 3650;
/** The serving certificate is short-lived and renewed automatically; the CA stays. */
export const SERVING_VALIDITY_DAYS = 365;
/**
 * Renew the serving certificate once fewer days than this remain: a quarter of its life,
 * so a server that was down for weeks still comes back with a valid one.
 */
export const RENEW_WHEN_DAYS_LEFT = 90;
/** A running server checks this often whether its serving certificate is due. */
export const RENEWAL_CHECK_INTERVAL_MS = 12 * 60 * 60 * 1000;
/** notBefore is set this far back, for clients whose clocks are a little behind. */
export const BACKDATE_MS = 60 * 60 * 1000;

/** The files in `<data-dir>/tls/`. Keys are written 0600, the folder 0700. */
export const TLS_DIR = 'tls';
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const SERVING_CERT_FILE = 'server.pem';
export const SERVING_KEY_FILE = 'server-key.pem';

export const DAY_MS = 24 * 60 * 60 * 1000;
