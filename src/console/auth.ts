/**
 * Who may use the console, as middleware in the order the sub-app applies them:
 * `refuseCrossSite` (every state-changing request), `identifyOperator` (every request),
 * `requireOperator` and `requireCsrfToken` (everything but sign-in and the stylesheet).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { config } from '../config';
import { secretState } from '../security/tokens';
import { ACCESS_HEADER, verifyAccessJwt, type JwksSource } from './access';
import { crossSiteRefusal, CSRF_FIELD, csrfToken, isSafeMethod, verifyCsrfToken } from './csrf';
import { renderMessage } from './render';
import { SESSION_COOKIE, verifySession, type SignedOutSessions } from './session';
import { BASE, type ConsoleEnv, type Operator } from './types';

const isHttps = (url: string) => new URL(url).protocol === 'https:';

/** The cookie's attributes; deleting it must name the same Path and flags. */
export const cookieOptions = (url: string) => ({
  path: BASE,
  httpOnly: true,
  secure: isHttps(url),
  sameSite: 'Strict' as const,
});

/** What a CSRF token is bound to: the session, or the Access user (whose session Access keeps). */
const csrfSubject = (o: Operator) => (o.via === 'token' ? o.session.id : `access:${o.sub}`);

/** A foreign Origin or a cross-site Sec-Fetch-Site: 403 before anything is read or changed. */
export const refuseCrossSite: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const refusal = crossSiteRefusal({
    method: c.req.method,
    selfOrigin: new URL(c.req.url).origin,
    origin: c.req.header('origin'),
    secFetchSite: c.req.header('sec-fetch-site'),
  });
  if (refusal) {
    c.get('log').warn('console.cross_site_refused', { reason: refusal, path: c.req.path, method: c.req.method });
    return renderMessage(c, 403);
  }
  await next();
};

export interface IdentifyDeps {
  signedOut: SignedOutSessions;
  jwks: JwksSource;
}

/**
 * Sets `operator` (and the CSRF token of its forms) when the request proves one: a valid Access
 * assertion when Access is configured, else (token sign-in on) a valid, not signed-out session cookie. A cookie that
 * proves nothing is deleted, so the browser stops sending it.
 */
export const identifyOperator =
  (deps: IdentifyDeps): MiddlewareHandler<ConsoleEnv> =>
  async (c, next) => {
    let operator: Operator | null = null;
    const { access, secrets } = config(c.env);
    const assertion = c.req.header(ACCESS_HEADER);
    if (access && assertion) {
      const who = await verifyAccessJwt(assertion, access, deps.jwks, c.get('log'));
      if (who) operator = { via: 'access', ...who };
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    if (!operator && cookie !== undefined) {
      // Token sessions count only while token sign-in is on: not under Access, not with an unusable token.
      const tokenSignIn = !access && secretState('ADMIN_API_TOKEN', secrets.adminApiToken).ok;
      const session = tokenSignIn ? await verifySession(secrets.adminApiToken, cookie) : null;
      if (session && !deps.signedOut.has(session.id)) operator = { via: 'token', session };
      else deleteCookie(c, SESSION_COOKIE, cookieOptions(c.req.url));
    }
    if (operator) {
      c.set('operator', operator);
      // No admin token, no key: the forms carry an empty token, which every check refuses.
      c.set('csrfToken', (await csrfToken(secrets.adminApiToken, csrfSubject(operator))) ?? '');
    }
    await next();
  };

/** No operator: pages redirect to sign-in (303), anything else is 401. */
export const requireOperator: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.get('operator')) return next();
  if (isSafeMethod(c.req.method)) return c.redirect(`${BASE}/login`, 303);
  return renderMessage(c, 401);
};

/** The posted form's fields (Hono keeps the parsed body for the handler), or null when it cannot be parsed. */
export async function readForm(c: Context<ConsoleEnv>) {
  try {
    return await c.req.parseBody();
  } catch {
    return null;
  }
}

/** A state-changing request must carry the CSRF token of the operator's session. */
export const requireCsrfToken: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (isSafeMethod(c.req.method)) return next();
  const body = await readForm(c);
  if (!body) return renderMessage(c, 400);
  if (!(await verifyCsrfToken(config(c.env).secrets.adminApiToken, csrfSubject(c.get('operator')), body[CSRF_FIELD]))) {
    c.get('log').warn('console.csrf_refused', {
      path: c.req.path,
      method: c.req.method,
      hasToken: body[CSRF_FIELD] !== undefined,
    });
    return renderMessage(c, 403);
  }
  await next();
};
