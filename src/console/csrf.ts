/**
 * Cross-site request forgery, refused twice over for every state-changing request:
 *
 * 1. By where the browser says it comes from (`crossSiteRefusal`, a pure rule): a foreign `Origin`
 *    or a `Sec-Fetch-Site` other than same-origin (or `none`, a user's own navigation) is refused.
 *    Hono's `csrf` middleware is not used: it lets a request through when either header looks
 *    right (a same-origin Sec-Fetch-Site would excuse a foreign Origin), refuses one that has
 *    neither (scripts, older clients: the token below already covers them), and checks only form
 *    content types.
 * 2. By a token only our pages know: HMAC of the session id under a key derived from the admin
 *    token, sent as the `_csrf` form field and verified in constant time.
 */
import { deriveKey, hmac, hmacVerify } from '../security/hmac';
import { KEY_LABELS } from './session';

export const CSRF_FIELD = '_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isSafeMethod = (method: string) => SAFE_METHODS.has(method.toUpperCase());

export interface RequestOrigin {
  method: string;
  /** The request's own origin, `https://host[:port]`. */
  selfOrigin: string;
  origin?: string | null;
  secFetchSite?: string | null;
}

export type CrossSiteRefusal = 'foreign_origin' | 'cross_site';

/** Why a request must be refused for where it comes from, or null. Safe methods are never refused. */
export function crossSiteRefusal(r: RequestOrigin): CrossSiteRefusal | null {
  if (isSafeMethod(r.method)) return null;
  // `null` (sandboxed frames, privacy redirects) is as foreign as any other origin.
  if (r.origin != null && r.origin !== r.selfOrigin) return 'foreign_origin';
  // same-site is refused too: a sibling subdomain is someone else's site on shared hosts.
  if (r.secFetchSite != null && r.secFetchSite !== 'same-origin' && r.secFetchSite !== 'none') return 'cross_site';
  return null;
}

/** The token our forms carry for this session; null when no admin token is set. */
export async function csrfToken(adminToken: string | undefined, sessionId: string): Promise<string | null> {
  const key = await deriveKey(adminToken, KEY_LABELS.csrf);
  return key ? hmac(key, sessionId) : null;
}

export async function verifyCsrfToken(
  adminToken: string | undefined,
  sessionId: string,
  token: unknown,
): Promise<boolean> {
  if (typeof token !== 'string') return false;
  const key = await deriveKey(adminToken, KEY_LABELS.csrf);
  return key ? hmacVerify(key, sessionId, token) : false;
}
