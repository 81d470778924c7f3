/**
 * Signing in with the admin token and signing out. The token is compared in constant time; wrong
 * tokens are rate-limited per client (see ../limiter.ts); an unset token refuses every sign-in.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import { cookieOptions, readForm } from '../auth';
import { t } from '../i18n';
import { clientKey, type LoginLimiter } from '../limiter';
import { SESSION_COOKIE, SESSION_TTL_S, signSession, type SignedOutSessions } from '../session';
import { BASE, type ConsoleEnv } from '../types';
import { LoginPage, type LoginProblem } from '../views/login';

/** GET and POST /login: open to everyone. */
export function signInRoutes(deps: { limiter: LoginLimiter }) {
  const page = (c: Context<ConsoleEnv>, status: 200 | 401 | 429, problem?: LoginProblem) => {
    const lang = c.get('lang');
    c.status(status);
    return c.render(<LoginPage lang={lang} problem={problem} />, { title: t(lang, 'login.title') });
  };

  return new Hono<ConsoleEnv>()
    .get('/login', (c) => {
      if (c.get('operator')) return c.redirect(BASE, 303);
      return page(c, 200, c.env.ADMIN_API_TOKEN ? undefined : { kind: 'disabled' });
    })
    .post('/login', async (c) => {
      const log = c.get('log');
      const client = clientKey(c.req.header('cf-connecting-ip'));
      // Checked before the token: once limited, even the right token waits.
      const wait = deps.limiter.retryAfter(client);
      if (wait > 0) {
        log.warn('console.sign_in_limited', { client, retryAfter: wait });
        c.header('Retry-After', String(wait));
        return page(c, 429, { kind: 'limited', retryAfterSeconds: wait });
      }
      const expected = c.env.ADMIN_API_TOKEN;
      if (!expected) {
        log.warn('console.sign_in_disabled', { client });
        return page(c, 401, { kind: 'disabled' });
      }
      const given = (await readForm(c))?.token;
      const ok = typeof given === 'string' && given !== '' && (await timingSafeEqual(given, expected));
      if (!ok) {
        deps.limiter.recordFailure(client);
        log.warn('console.sign_in_failed', { client });
        return page(c, 401, { kind: 'wrong' });
      }
      deps.limiter.recordSuccess(client);
      const { value } = await signSession(expected);
      setCookie(c, SESSION_COOKIE, value, { ...cookieOptions(c.req.url), maxAge: SESSION_TTL_S });
      log.info('console.signed_in', { via: 'token', client });
      return c.redirect(BASE, 303);
    });
}

/** POST /logout: behind the session and CSRF checks like every other form. */
export function signOutRoutes(deps: { signedOut: SignedOutSessions }) {
  return new Hono<ConsoleEnv>().post('/logout', (c) => {
    const operator = c.get('operator');
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c.req.url));
    c.get('log').info('console.signed_out', { via: operator.via });
    if (operator.via === 'token') {
      deps.signedOut.add(operator.session);
      return c.redirect(`${BASE}/login`, 303);
    }
    // Access keeps its own session: end it there, or the next request signs the operator in again.
    return c.redirect('/cdn-cgi/access/logout', 303);
  });
}
