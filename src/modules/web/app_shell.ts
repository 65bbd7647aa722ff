/**
 * Which GET requests are the single-page app's own routes, answered with index.html so
 * that a bookmarked or reloaded URL (`/platform/clusters/-/clusters?tab=agent`) opens
 * the page. Everything that belongs to a machine interface keeps its own 404: the REST
 * API, the `/-/` endpoints (tunnel, k8s proxy, health, charts, session), Git paths, and
 * missing hashed assets (a `<script>` must never receive HTML).
 */
import { ASSETS_PREFIX } from './defaults.js';

const GIT_PATH = /\.git(\/|$)/i;
/** Browsers ask for it on their own; an HTML answer would be cached as a broken icon. */
const NOT_PAGES = new Set(['/favicon.ico', '/robots.txt']);

export function servesAppShell(pathname: string): boolean {
  if (pathname === '/api' || pathname.startsWith('/api/')) return false;
  if (pathname === '/-' || pathname.startsWith('/-/')) return false;
  if (pathname.startsWith(ASSETS_PREFIX)) return false;
  if (GIT_PATH.test(pathname)) return false;
  return !NOT_PAGES.has(pathname.toLowerCase());
}
