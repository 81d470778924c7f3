/**
 * The notice a form leaves for the page it redirects to (POST-redirect-GET): a short-lived cookie
 * holding a message key, read and deleted by the next page. Only keys of this list are shown, so
 * a forged cookie can at most show one of our own sentences; it carries no user text and no secret.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { cookieOptions } from './auth';
import { isSafeMethod } from './csrf';
import type { MessageKey } from './i18n';
import type { ConsoleEnv } from './types';

const FLASH_COOKIE = 'linebot_console_notice';

export const notices = [
  'notice.aiOn',
  'notice.aiOff',
  'notice.projectBound',
  'notice.projectUnbound',
  'notice.instructionsSaved',
  'notice.instructionsCleared',
  'notice.unbound',
  'notice.accountCreated',
  'notice.codeIssued',
  'notice.retried',
  'notice.shareLinkRevoked',
  'notice.projectCreated',
  'notice.projectSaved',
  'notice.memberAdded',
  'notice.memberChanged',
  'notice.memberRemoved',
] as const satisfies readonly MessageKey[];
export type Notice = (typeof notices)[number];

const isNotice = (v: string | undefined): v is Notice => (notices as readonly string[]).includes(v ?? '');

/** Redirects (303) to `path` with the notice for the page there. */
export function redirectWithNotice(c: Context<ConsoleEnv>, path: string, notice: Notice) {
  setCookie(c, FLASH_COOKIE, notice, { ...cookieOptions(c.req.url), maxAge: 60 });
  return c.redirect(path, 303);
}

/** A page (GET) takes the notice: shown once, then gone. */
export const takeNotice: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (isSafeMethod(c.req.method)) {
    const value = getCookie(c, FLASH_COOKIE);
    if (value !== undefined) {
      if (isNotice(value)) c.set('notice', value);
      deleteCookie(c, FLASH_COOKIE, cookieOptions(c.req.url));
    }
  }
  await next();
};
