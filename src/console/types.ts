/** The console's request context: who is signed in, in which language, and the request's database. */
import type { Database } from '../db/client';
import type { AppEnv } from '../http/types';
import type { Notice } from './notices';
import type { Lang } from './i18n';
import type { Session } from './session';

/** Whoever is signed in: by the admin token (a session cookie) or by Cloudflare Access. */
export type Operator = { via: 'token'; session: Session } | { via: 'access'; sub: string; email?: string };

export type ConsoleEnv = {
  Bindings: Env;
  Variables: AppEnv['Variables'] & {
    lang: Lang;
    operator: Operator;
    /** The CSRF token of the operator's session, for every form a page renders. */
    csrfToken: string;
    db: Database;
    /** The notice the previous form left (./flash.ts), shown once. */
    notice?: Notice;
  };
};

/** Where the console is mounted (app.ts: `app.route('/admin', console)`); the cookie's Path too. */
export const BASE = '/admin';

/** The navigation's screens, in menu order. */
export const screens = [
  { key: 'overview', path: `${BASE}`, label: 'nav.overview' },
  { key: 'groups', path: `${BASE}/groups`, label: 'nav.groups' },
  { key: 'lineUsers', path: `${BASE}/line-users`, label: 'nav.lineUsers' },
  { key: 'accounts', path: `${BASE}/accounts`, label: 'nav.accounts' },
  { key: 'messages', path: `${BASE}/messages`, label: 'nav.messages' },
  { key: 'files', path: `${BASE}/files`, label: 'nav.files' },
  { key: 'inbox', path: `${BASE}/inbox`, label: 'nav.inbox' },
  { key: 'aiLogs', path: `${BASE}/ai-logs`, label: 'nav.aiLogs' },
  { key: 'projects', path: `${BASE}/projects`, label: 'nav.projects' },
  { key: 'shareLinks', path: `${BASE}/share-links`, label: 'nav.shareLinks' },
  { key: 'botTexts', path: `${BASE}/bot-texts`, label: 'nav.botTexts' },
  { key: 'announcements', path: `${BASE}/announcements`, label: 'nav.announcements' },
  { key: 'audit', path: `${BASE}/audit`, label: 'nav.audit' },
] as const;
export type ScreenKey = (typeof screens)[number]['key'];
