/**
 * The notice a form leaves for the page it redirects to (POST-redirect-GET): a short-lived cookie
 * holding a message key, read and deleted by the next page. Only keys of ./notices.ts are shown, so
 * a forged cookie can at most show one of our own sentences; it carries no user text and no secret.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { cookieOptions } from './auth';
import { isSafeMethod } from './csrf';
import { notices, type Notice } from './notices';
import type { ConsoleEnv } from './types';

const FLASH_COOKIE = 'linebot_console_notice';

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
