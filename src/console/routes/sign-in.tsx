/**
 * Signing in with the admin token and signing out. The token is compared in constant time, behind
 * the limiter every bearer check shares (../../security/limiter.ts, across isolates); an unset or
 * too short token refuses every sign-in. With Cloudflare Access configured, token sign-in is off:
 * operators come in through Access alone.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import { recordAudit } from '../../audit/record';
import { config } from '../../config';
import { openDb } from '../../db/client';
import { checkBearer, clientOf } from '../../security/limiter';
import { bearerSecret } from '../../security/tokens';
import { cookieOptions, readForm } from '../auth';
import { t } from '../i18n';
import { SESSION_COOKIE, SESSION_TTL_S, signSession, type SignedOutSessions } from '../session';
import { BASE, type ConsoleEnv } from '../types';
import { LoginPage, type LoginProblem } from '../views/login';

/** GET and POST /login: open to everyone. */
export function signInRoutes() {
  const page = (c: Context<ConsoleEnv>, status: 200 | 401 | 403 | 429, problem?: LoginProblem) => {
    const lang = c.get('lang');
    c.status(status);
    return c.render(<LoginPage lang={lang} problem={problem} />, { title: t(lang, 'login.title') });
  };
  /** Why nobody can sign in with the token here, if so. */
  const tokenSignInOff = (c: Context<ConsoleEnv>): LoginProblem | undefined => {
    if (config(c.env).access) return { kind: 'access' };
    if (!bearerSecret('ADMIN_API_TOKEN', config(c.env).secrets.adminApiToken, c.get('log')).ok)
      return { kind: 'disabled' };
    return undefined;
  };

  return new Hono<ConsoleEnv>()
    .get('/login', (c) => {
      if (c.get('operator')) return c.redirect(BASE, 303);
      return page(c, 200, tokenSignInOff(c));
    })
    .post('/login', async (c) => {
      const log = c.get('log');
      const client = clientOf(c.req.header('cf-connecting-ip'));
      const off = tokenSignInOff(c);
      if (off) {
        log.warn('console.sign_in_disabled', { client, reason: off.kind });
        return page(c, off.kind === 'access' ? 403 : 401, off);
      }
      // Set and long enough: tokenSignInOff said so.
      const expected = config(c.env).secrets.adminApiToken ?? '';
      const handle = openDb(c.env, log);
      try {
        const attempt = { surface: 'console', via: 'console', client, log } as const;
        const verdict = await checkBearer(
          handle.db,
          attempt,
          async () => {
            const given = (await readForm(c))?.token;
            return typeof given === 'string' && given !== '' && (await timingSafeEqual(given, expected));
          },
          (tx) =>
            recordAudit(tx, {
              action: 'console.sign_in_refused',
              via: 'console',
              client,
              details: { reason: 'wrong_token' },
            }),
        );
        // Checked before the token: once limited, even the right token waits.
        if (!verdict.ok && verdict.limited) {
          c.header('Retry-After', String(verdict.retryAfterSeconds));
          return page(c, 429, { kind: 'limited', retryAfterSeconds: verdict.retryAfterSeconds });
        }
        if (!verdict.ok) {
          log.warn('console.sign_in_failed', { client });
          return page(c, 401, { kind: 'wrong' });
        }
        const { session, value } = await signSession(expected);
        await recordAudit(handle.db, {
          action: 'console.sign_in',
          via: 'console',
          operator: `token:${session.id}`,
          client,
        });
        setCookie(c, SESSION_COOKIE, value, { ...cookieOptions(c.req.url), maxAge: SESSION_TTL_S });
        log.info('console.signed_in', { via: 'token', client });
        return c.redirect(BASE, 303);
      } finally {
        c.executionCtx.waitUntil(handle.close());
      }
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
