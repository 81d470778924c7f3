/** Driving the console inside workerd: requests as a browser sends them, and a signed-in operator. */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { expect } from 'vitest';
import { createApp } from '../../src/app';
import { createConsole } from '../../src/console/index';
import { forgetIfRefused, ownClient } from './clients';

export const ORIGIN = 'https://bot.example';
const app = createApp({ console: createConsole() });

export interface SendOptions {
  form?: Record<string, string>;
  rawBody?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

/** A request to `/admin<path>`; a POST carries our Origin unless `headers.origin` says otherwise. */
export async function send(method: string, path: string, o: SendOptions = {}) {
  const headers: Record<string, string> = { ...o.headers };
  const client = ownClient(headers);
  if (o.cookie) headers.cookie = o.cookie;
  if (method !== 'GET' && !('origin' in headers)) headers.origin = ORIGIN;
  let body: string | URLSearchParams | undefined = o.rawBody;
  if (o.form) body = new URLSearchParams(o.form);
  if (o.rawBody !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${ORIGIN}/admin${path}`, { method, headers, body, redirect: 'manual' }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  await forgetIfRefused(res.status, client);
  return res;
}

/** A signed-in operator: the session cookie and the CSRF token its pages carry. */
export async function operator() {
  const res = await send('POST', '/login', {
    form: { token: env.ADMIN_API_TOKEN },
    headers: { 'cf-connecting-ip': `screens-${crypto.randomUUID()}` },
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const html = await (await send('GET', '', { cookie })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf };
}

/** GET a page that must answer 200; its HTML. */
export async function page(path: string, cookie: string, lang?: string) {
  const res = await send('GET', path, { cookie, headers: lang ? { 'accept-language': lang } : {} });
  const html = await res.text();
  expect(res.status, `${path}: ${html.slice(0, 800)}`).toBe(200);
  return html;
}

/**
 * Posts a form the way our pages do and follows the redirect (303) with the notice cookie it set;
 * returns the page it lands on.
 */
export async function submit(path: string, op: { cookie: string; csrf: string }, form: Record<string, string> = {}) {
  const res = await send('POST', path, { cookie: op.cookie, form: { _csrf: op.csrf, ...form } });
  const text = await res.text();
  expect(res.status, `${path}: ${text.slice(0, 800)}`).toBe(303);
  const location = res.headers.get('location')!;
  expect(location.startsWith('/admin')).toBe(true);
  const notice = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('linebot_console_notice='));
  const landed = await send('GET', location.slice('/admin'.length), {
    cookie: notice ? `${op.cookie}; ${notice}` : op.cookie,
  });
  expect(landed.status).toBe(200);
  return { location, html: await landed.text(), notice };
}

export const HOSTILE = '<img src=x onerror=alert(1)>';
export const ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

/** The hostile text is on the page, escaped, and never as markup. */
export function expectEscaped(html: string) {
  expect(html).toContain(ESCAPED);
  expect(html).not.toContain('<img src=x');
}

/**
 * Every form in `forms` refused with 403 and no notice when its post is forged: no CSRF token, a
 * wrong one, a foreign Origin, a cross-site fetch. (The caller checks that nothing changed.)
 */
export async function expectForgedPostsRefused(
  op: { cookie: string; csrf: string },
  forms: Array<[string, Record<string, string>]>,
) {
  for (const [path, form] of forms) {
    const cases: Array<[string, SendOptions]> = [
      ['no token', { cookie: op.cookie, form }],
      [
        'wrong token',
        { cookie: op.cookie, form: { ...form, _csrf: op.csrf.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) } },
      ],
      [
        'foreign origin',
        { cookie: op.cookie, form: { ...form, _csrf: op.csrf }, headers: { origin: 'https://evil.example' } },
      ],
      [
        'cross-site fetch',
        { cookie: op.cookie, form: { ...form, _csrf: op.csrf }, headers: { 'sec-fetch-site': 'cross-site' } },
      ],
    ];
    for (const [what, options] of cases) {
      const res = await send('POST', path, options);
      expect(res.status, `${path} ${what}`).toBe(403);
      expect(
        res.headers.getSetCookie().some((c) => c.startsWith('linebot_console_notice=')),
        `${path} ${what}`,
      ).toBe(false);
    }
  }
}
