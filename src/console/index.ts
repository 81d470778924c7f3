/**
 * The admin console, a Hono sub-app mounted at /admin (app.ts: `app.route('/admin', console)`):
 * server-rendered pages over the same domain functions as the management API.
 *
 * Every request passes, in this order: the security headers (set on whatever the response turns
 * out to be), the language, a body limit and the cross-site refusal for state-changing requests,
 * and the operator's identity. Sign-in and the stylesheet come next and answer without an
 * operator; everything registered after `requireOperator` needs one, and its forms the CSRF token.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { jsxRenderer } from 'hono/jsx-renderer';
import { withDatabase } from '../http/database';
import { ApiError } from '../api/errors';
import { jwksCache, type FetchJwks, type JwksSource } from './access';
import { CONSOLE_CSS } from './assets';
import { identifyOperator, refuseCrossSite, requireCsrfToken, requireOperator } from './auth';
import { isSafeMethod } from './csrf';
import { securityHeaders } from './headers';
import { pickLanguage } from '../lib/accept-language';
import { renderMessage } from './render';
import { takeNotice } from './flash';
import { accountRoutes } from './routes/accounts';
import { aiRoutes } from './routes/ai';
import { announcementRoutes } from './routes/announcements';
import { aiPauseRoutes } from './routes/ai-pause';
import { auditRoutes } from './routes/audit';
import { botTextRoutes } from './routes/bot-texts';
import { fileRoutes } from './routes/files';
import { groupRoutes } from './routes/groups';
import { historyRoutes } from './routes/history';
import { inboxRoutes } from './routes/inbox';
import { lineUserRoutes } from './routes/line-users';
import { overviewRoutes } from './routes/overview';
import { projectRoutes } from './routes/projects';
import { sendRoutes } from './routes/sends';
import { shareLinkRoutes } from './routes/share-links';
import { signInRoutes, signOutRoutes } from './routes/sign-in';
import { SignedOutSessions } from './session';
import type { ConsoleEnv } from './types';
import { Layout } from './views/layout';
import type { MessageStatus } from './views/message';

export interface ConsoleDeps {
  signedOut: SignedOutSessions;
  /** Cloudflare Access's keys (cached); tests pass their own fetch. */
  jwks: JwksSource;
}

const PAGE_STATUSES = new Set<number>([400, 401, 403, 404, 409, 413, 429]);

/** The console with its per-isolate state (signed-out sessions, key cache); tests build their own. */
export function createConsole(deps: Partial<ConsoleDeps> & { fetchJwks?: FetchJwks } = {}) {
  const { signedOut = new SignedOutSessions(), jwks = jwksCache(deps.fetchJwks) } = deps;
  const app = new Hono<ConsoleEnv>();

  app.use(securityHeaders);
  app.use(async (c, next) => {
    c.set('lang', pickLanguage(c.req.header('accept-language')));
    await next();
  });
  app.use(jsxRenderer(Layout, { docType: true }));
  // Console forms are a few fields; nothing legitimate comes near this.
  app.use(async (c, next) => (isSafeMethod(c.req.method) ? next() : bodyLimit({ maxSize: 64 * 1024 })(c, next)));
  app.use(refuseCrossSite);
  app.use(identifyOperator({ signedOut, jwks }));

  // Open to everyone.
  app.get('/assets/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.route('/', signInRoutes());

  // Signed in from here on.
  app.use(requireOperator);
  app.use(requireCsrfToken);
  app.use(withDatabase);
  app.route('/', signOutRoutes({ signedOut }));
  app.use(takeNotice);
  app.route('/', overviewRoutes);
  app.route('/', groupRoutes);
  app.route('/', lineUserRoutes);
  app.route('/', sendRoutes);
  app.route('/', announcementRoutes);
  app.route('/', accountRoutes);
  app.route('/', historyRoutes);
  app.route('/', fileRoutes);
  app.route('/', inboxRoutes);
  app.route('/', aiRoutes);
  app.route('/', projectRoutes);
  app.route('/', shareLinkRoutes);
  app.route('/', auditRoutes);
  app.route('/', botTextRoutes);
  app.route('/', aiPauseRoutes);

  // A page, not the API's JSON 404: mounted in the root app, the sub-app's notFound would not be used.
  app.all('*', (c) => {
    // `/admin/` and `/admin/groups/` mean the page without the slash. The path as sent (still
    // percent-encoded: nothing decoded goes into a header), and the target stays under /admin.
    const path = new URL(c.req.url).pathname;
    if (isSafeMethod(c.req.method) && /.\/+$/.test(path)) return c.redirect(path.replace(/\/+$/, ''), 301);
    return renderMessage(c, 404);
  });
  app.onError((err, c) => {
    // A query the API's schemas refuse (a foreign cursor, an impossible date range): 400 saying why.
    if (err instanceof ApiError && PAGE_STATUSES.has(err.status))
      return renderMessage(c, err.status as MessageStatus, err.message);
    if (err instanceof HTTPException && PAGE_STATUSES.has(err.status))
      return renderMessage(c, err.status as MessageStatus);
    c.get('log').error('console.unhandled_error', { error: err, path: c.req.path });
    return renderMessage(c, 500);
  });
  return app;
}

const consoleApp = createConsole();
// Named `console` as app.ts mounts it; importing it as `console` there shadows the global, so
// `import { console as adminConsole } from './console'` reads better.
export { consoleApp as console };
