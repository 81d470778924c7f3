/**
 * The headers every console response carries, pages, redirects, errors and the stylesheet alike.
 *
 * The policy allows no script at all and styles only from our own stylesheet: whatever a LINE user
 * manages to get into a page cannot run or restyle it. Images may come from LINE's CDN (profile
 * and group pictures are https URLs) and `data:` (small inline icons). Forms post only to us, no
 * one may frame the console (clickjacking), and a `<base>` cannot redirect relative links.
 * A later enhancement script is served as a file and added here as `script-src 'self'`.
 */
import type { MiddlewareHandler } from 'hono';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  // Our URLs carry group and user ids: they stay on our origin.
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  // Pages show chat content and carry CSRF tokens: never kept by a browser or a shared cache.
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  // The language follows Accept-Language.
  c.res.headers.append('Vary', 'Accept-Language');
};
