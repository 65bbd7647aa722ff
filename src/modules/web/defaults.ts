/**
 * Defaults of the web UI's server side: sessions, cookies and caching. See docs/ui.md.
 */

/** The session cookie. HttpOnly and SameSite=Strict always; Secure whenever the server is reached over HTTPS. */
export const SESSION_COOKIE = 'kubegate_session';

/** Every state-changing request authenticated by the session cookie must carry this header (GitLab's name). */
export const CSRF_HEADER = 'X-CSRF-Token';

/** A session lasts a working day from sign-in, then the user signs in again (absolute, not sliding). */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** Prefix of session ids, so that a leaked cookie value is recognised like the other secrets. */
export const SESSION_ID_PREFIX = 'kgsess-';

/** Hashed build outputs never change under their name: cache them for a year. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** index.html names the current hashed assets: revalidate it on every load (an ETag makes that cheap). */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';

/** Answers that carry a CSRF token or a session are never stored by a cache. */
export const NO_STORE_CACHE_CONTROL = 'no-store';

/** Where Vite writes the hashed files (its `build.assetsDir`); `assets` is a reserved top-level path. */
export const ASSETS_PREFIX = '/assets/';
