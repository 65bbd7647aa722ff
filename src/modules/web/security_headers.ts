/**
 * The security headers of every page and asset the UI is made of. The app is built
 * without inline script or style, so the Content-Security-Policy can forbid both: an
 * injected `<script>` or `onclick=` does not run. Framing is refused twice (CSP
 * `frame-ancestors` for current browsers, `X-Frame-Options` for old ones) against
 * clickjacking of the token and revoke buttons.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // The UI links nowhere else; no URL (which holds project paths) leaves in a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
});

/** Sets the UI's security headers on a raw response (what @fastify/static hands out). */
export function setSecurityHeaders(res: { setHeader(name: string, value: string): unknown }): void {
  for (const [name, value] of Object.entries(UI_SECURITY_HEADERS)) res.setHeader(name, value);
}
