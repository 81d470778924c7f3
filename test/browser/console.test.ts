/**
 * The admin console end to end, in real Chromium against the dev stack (wrangler dev, the LINE
 * emulator, a fresh database in the local Postgres): what the chats seeded through signed webhooks
 * look like to an operator, what each form changes in the database, and what is refused. One
 * stack and one browser for the file; the tests run in order and build on each other (signed in
 * after the sign-in test). Screenshots of every screen, phone and desktop, go to
 * test-output/screenshots/.
 */
import type { Browser, BrowserContext, ConsoleMessage, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile, type EmulatorSeed } from '../../scripts/line-emulator/index.ts';
import { build, deliver, Directory, type Target } from '../../scripts/line/index.ts';
import { DEFAULT_SEED_FILE } from '../../scripts/local/paths.ts';
import { t } from '../../src/console/i18n.ts';
import { ADMIN_TOKEN, captureScreens, CHANNEL_SECRET, chromiumMissing, launchChromium, startConsoleStack, type ConsoleStack } from '../support/browser.ts';

/** The default dev seed, and someone whose LINE name is markup. */
const EVIL_NAME = '<img src=x onerror=alert(1)>';
const seed: EmulatorSeed = (() => {
  const base = readSeedFile(DEFAULT_SEED_FILE);
  return {
    ...base,
    users: [...(base.users ?? []), { name: 'mallory', displayName: EVIL_NAME }],
    groups: (base.groups ?? []).map((g) => (g.name === 'ops' ? { ...g, members: [...(g.members ?? []), 'mallory'] } : g)),
  };
})();
const directory = new Directory(seed);
const zh = 'zh-Hant' as const;

let env: ConsoleStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let target: Target;
/** Everything the page said or tried that it should not have (alerts, script errors, CSP reports). */
const incidents: string[] = [];

const url = (path: string) => `${env.url}${path}`;
const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await env.db.query(sql, params)).rows as T[];
const groupRow = async (lineGroupId: string) =>
  (await query<{ id: string; allow_ai_response: boolean; project_id: string | null }>('select id, allow_ai_response, project_id from line_groups where line_group_id = $1', [lineGroupId]))[0]!;

async function seedChats() {
  const ops = directory.chat('group', 'ops');
  const design = directory.chat('group', 'design');
  const lunch = directory.chat('room', 'lunch');
  const say = (source: ReturnType<typeof build.inGroup>, text: string) => build.text(source, text, directory.mentionable());
  // One body per chat, so each is processed (profiles, summaries fetched) before the page reads it.
  for (const events of [
    [say(build.inGroup(ops.id, directory.user('alice').userId), '早安，今天三樓灌漿'), say(build.inGroup(ops.id, directory.user('bob').userId), '收到 @alice')],
    [say(build.inGroup(ops.id, directory.user('mallory').userId), '<script>alert(2)</script> 看看這個')],
    [say(build.inGroup(design.id, directory.user('dave').userId), 'Design review moved to 3pm')],
    [say(build.inRoom(lunch.id, directory.user('carol').userId), '中午吃什麼？')],
  ]) {
    const { delivery, report } = await deliver(target, build.webhookBody(directory.botUserId, events));
    expect(delivery.status).toBe(200);
    for (const e of report!.events) expect(e.inbox?.status).toBe('done');
  }
  await query(`insert into projects (name) values ('Tower B 新建工程'), ('Design Center')`);
  await query(`insert into users (username, display_name, role) values ('alice', 'Alice Chen', 'admin'), ('dave', 'Dave Wu', 'member')`);
}

const csrfOf = (p: Page) => p.locator('input[name="_csrf"]').first().inputValue();

const missing = chromiumMissing();

describe.skipIf(missing !== null)('the console in Chromium', () => {
  beforeAll(async () => {
    [env, browser] = await Promise.all([startConsoleStack('browser', { seed }), launchChromium()]);
    target = { webhookUrl: env.stack.webhookUrl, channelSecret: CHANNEL_SECRET, emulatorUrl: env.stack.emulator.url, databaseUrl: env.stack.databaseUrl };
    await seedChats();
    // A fresh profile: no cookies, no cache; Traditional Chinese, as the operators' browsers.
    context = await browser.newContext({ locale: 'zh-TW', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (d: Dialog) => {
      incidents.push(`dialog ${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e: Error) => incidents.push(`page error: ${e.message}`));
    // A page answered 401/403 on purpose is logged as a failed load: those are the document's own
    // status, checked by the tests. A stylesheet or image that fails is an incident (the favicon
    // aside: the console has none, and Chromium asks for one).
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) incidents.push(`console error: ${m.text()}`);
    });
    page.on('response', (r) => {
      const req = r.request();
      if (r.status() >= 400 && req.resourceType() !== 'document' && new URL(r.url()).pathname !== '/favicon.ico') incidents.push(`${r.status()} for ${req.resourceType()} ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('sends a visitor without a session to sign-in', async () => {
    const res = await page.goto(url('/admin/groups'));
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(res?.status()).toBe(200);
    await expect(page.locator('input[name="token"][type="password"]').count()).resolves.toBe(1);
    // No navigation, no forms carrying a CSRF token before sign-in.
    await expect(page.locator('nav').count()).resolves.toBe(0);
    await captureScreens(page, 'login');
  });

  it('refuses a wrong token, then signs in with the admin token', async () => {
    await page.fill('input[name="token"]', 'not-the-token');
    await page.click('button[type="submit"]');
    await expect(page.getByRole('alert').textContent()).resolves.toBe(t(zh, 'login.wrong'));
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);

    await page.fill('input[name="token"]', ADMIN_TOKEN);
    await page.click('button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/admin');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ path: '/admin', httpOnly: true, sameSite: 'Strict' });
    await expect(page.locator('h1').textContent()).resolves.toBe(t(zh, 'overview.title'));
    await captureScreens(page, 'overview');
  });

  it('shows the overview with the seeded figures', async () => {
    await expect(page.locator('[data-figure="line-users"] .figure').textContent()).resolves.toBe('5');
    await expect(page.locator('[data-figure="groups"] .figure').textContent()).resolves.toBe('3');
    await expect(page.locator('[data-figure="messages-today"] .figure').textContent()).resolves.toBe('5');
    // Today's bar of the server-drawn chart (Asia/Taipei days) holds the five messages.
    await expect(page.locator('svg[aria-labelledby^="messages-per-day-title"] rect.bar[data-value="5"]').count()).resolves.toBe(1);
  });

  describe('a forged form changes nothing', () => {
    it('refuses a post from a foreign Origin, and one without the CSRF token', async () => {
      const ops = await groupRow(directory.chat('group', 'ops').id);
      expect(ops.allow_ai_response).toBe(false);
      await page.goto(url('/admin'));
      const csrf = await csrfOf(page);
      expect(csrf).not.toBe('');
      // Same session cookie (the context's request shares it), a page on someone else's site.
      const foreign = await context.request.post(url(`/admin/groups/${ops.id}/ai`), {
        form: { allow: 'true', _csrf: csrf },
        headers: { origin: 'https://evil.example' },
        maxRedirects: 0,
      });
      expect(foreign.status()).toBe(403);
      const noToken = await context.request.post(url(`/admin/groups/${ops.id}/ai`), { form: { allow: 'true' }, maxRedirects: 0 });
      expect(noToken.status()).toBe(403);
      const wrongToken = await context.request.post(url(`/admin/groups/${ops.id}/ai`), { form: { allow: 'true', _csrf: csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }, maxRedirects: 0 });
      expect(wrongToken.status()).toBe(403);
      expect((await groupRow(directory.chat('group', 'ops').id)).allow_ai_response).toBe(false);
      // The same post with the token from our own page goes through: the refusals above were for the forgery.
      const real = await context.request.post(url(`/admin/groups/${ops.id}/ai`), { form: { allow: 'false', _csrf: csrf }, headers: { origin: env.url }, maxRedirects: 0 });
      expect(real.status()).toBe(303);
    });
  });

  it('signs out: the session ends, and the pages send to sign-in again', async () => {
    const before = (await context.cookies())[0]!;
    await page.goto(url('/admin'));
    await page.click(`form[action="/admin/logout"] button`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await context.cookies()).toEqual([]);
    await page.goto(url('/admin/groups'));
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    // The old cookie, replayed, is refused too (signed out on the server, not only deleted).
    await context.addCookies([before]);
    await page.goto(url('/admin'));
    expect(new URL(page.url()).pathname).toBe('/admin/login');
  });

  it('ran no script the page did not ship, and logged no error', () => {
    expect(incidents).toEqual([]);
  });
});
