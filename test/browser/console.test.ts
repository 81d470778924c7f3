/**
 * The admin console end to end, in real Chromium against the dev stack (the Worker bundle on Miniflare, the LINE
 * emulator, a fresh database in the local Postgres): the chats seeded through signed webhooks as
 * an operator sees them, what each form changes in the database, and what is refused. One stack
 * and one browser for the file; the tests run in order and build on each other (signed in after
 * the sign-in test). Screenshots of every screen, phone and desktop, go to test-output/screenshots/.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, deliver } from '../../scripts/line/index.ts';
import { t, type MessageKey } from '../../src/console/i18n.ts';
import {
  ACCOUNTS,
  ADMIN_TOKEN,
  captureScreens,
  chromiumMissing,
  CONSOLE_SEED,
  consolePage,
  directory,
  EVIL_NAME,
  forgedPostsNotRefused,
  launchChromium,
  PROJECTS,
  seedConsole,
  SEEDED_PHOTOS,
  SEEDED_TEXTS,
  sitePhoto,
  startConsoleStack,
  type ConsoleStack,
} from '../support/browser.ts';
import { expectAccessible } from '../support/axe.ts';

const SESSION_COOKIE = 'linebot_console';
const zh = 'zh-Hant' as const;
const say = (key: MessageKey, params?: Record<string, string | number>) => t(zh, key, params);

let env: ConsoleStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Everything the page did that it should not have: dialogs (alert), script errors, CSP refusals, failed assets. */
let incidents: string[] = [];

const url = (path: string) => `${env.url}${path}`;
const path = () => new URL(page.url()).pathname;
const groupRow = async (name: string) =>
  (
    await env.rows<{ id: string; allow_ai_response: boolean; project_id: string | null }>(
      'select id, allow_ai_response, project_id from line_groups where line_group_id = $1',
      [directory.chat('group', name).id],
    )
  )[0]!;
const notice = () => page.locator('[role="status"]').textContent();
/** Opens a screen and fails on anything but 200. */
const open = async (p: string) => {
  const res = await page.goto(url(p));
  expect(res?.status(), `GET ${p}`).toBe(200);
};

/**
 * The screens the accessibility check opens, signed in, in both languages (add a screen here; any
 * screen in the menu is checked too). `:group`, `:lineUser` and `:account` stand for seeded ids.
 */
const ACCESSIBLE_SCREENS = [
  '/admin',
  '/admin/inbox',
  '/admin/messages',
  '/admin/files',
  '/admin/groups',
  '/admin/groups/:group',
  '/admin/line-users',
  '/admin/line-users/:lineUser/unbind',
  '/admin/line-users/:lineUser/ai',
  '/admin/line-users/:lineUser/send',
  '/admin/groups/:group?q=plan',
  '/admin/announcements',
  '/admin/announcements/new',
  '/admin/accounts',
  '/admin/accounts/:account/binding-code',
  '/admin/projects',
  '/admin/share-links',
  '/admin/ai-logs',
  '/admin/ai-logs/usage',
  '/admin/bot-texts',
  '/admin/audit',
  '/admin/audit?action=group.&groupId=:group',
  '/admin/no-such-screen',
];

const missing = chromiumMissing();

describe.skipIf(missing !== null)('the console in Chromium', () => {
  beforeAll(async () => {
    [env, browser] = await Promise.all([startConsoleStack('browser', { seed: CONSOLE_SEED }), launchChromium()]);
    await seedConsole(env, { photo: await sitePhoto(browser) });
    // Not signed in: signing in is a test of its own.
    ({ context, page, incidents } = await consolePage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('sends a visitor without a session to sign-in', async () => {
    for (const p of ['/admin', '/admin/groups', '/admin/inbox']) {
      const res = await page.goto(url(p));
      expect(path(), p).toBe('/admin/login');
      expect(res?.status()).toBe(200);
      // Sent with every page, as the browser received them.
      const headers = res!.headers();
      expect(headers['content-security-policy']).toContain("default-src 'none'");
      expect(headers['content-security-policy']).not.toMatch(/script-src/); // no script at all
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['referrer-policy']).toBeDefined();
    }
    await expect(page.locator('input[name="token"][type="password"]').count()).resolves.toBe(1);
    await expect(page.locator('nav').count()).resolves.toBe(0); // no menu, no sign-out form before sign-in
    await expect(page.locator('button[type="submit"]').textContent()).resolves.toBe(say('login.submit'));
    await captureScreens(page, 'login');
    // English for a browser that prefers it.
    const english = await context.request.get(url('/admin/login'), {
      headers: { 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(await english.text()).toContain(`>${t('en', 'login.submit')}</button>`);
  });

  it('refuses a wrong token, then signs in with the admin token', async () => {
    await page.fill('input[name="token"]', 'not-the-token');
    await page.click('button[type="submit"]');
    await expect(page.getByRole('alert').textContent()).resolves.toBe(say('login.wrong'));
    expect(await context.cookies()).toEqual([]);

    await page.fill('input[name="token"]', ADMIN_TOKEN);
    await page.click('button[type="submit"]');
    expect(path()).toBe('/admin');
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual([SESSION_COOKIE]);
    expect(cookies[0]).toMatchObject({ path: '/admin', httpOnly: true, sameSite: 'Strict' });
    await expect(page.locator('h1').textContent()).resolves.toBe(say('overview.title'));
  });

  it('shows the overview with the seeded figures', async () => {
    const figure = (name: string) => page.locator(`[data-figure="${name}"] .figure`).textContent();
    await expect(figure('line-users')).resolves.toBe(
      String(CONSOLE_SEED.users!.filter((u) => SEEDED_TEXTS.some((m) => m.from === u.name)).length),
    );
    await expect(figure('groups')).resolves.toBe('3'); // ops, design and the lunch room
    const today = SEEDED_TEXTS.length + SEEDED_PHOTOS;
    await expect(figure('messages-today')).resolves.toBe(String(today));
    await expect(figure('nas')).resolves.toBe(String(SEEDED_PHOTOS)); // the photo waits for the NAS job
    // Today's bar of the server-drawn chart (Asia/Taipei days) holds them.
    await expect(
      page.locator(`svg[aria-labelledby^="messages-per-day-title"] rect.bar[data-value="${today}"]`).count(),
    ).resolves.toBe(1);
    await captureScreens(page, 'overview');
  });

  it('lists the seeded groups and the room', async () => {
    await open('/admin/groups');
    const items = page.locator('li.item');
    await expect(items.count()).resolves.toBe(3);
    const titles = await page.locator('li.item .item-title').allTextContents();
    expect(titles).toEqual(
      expect.arrayContaining(['Tower B – Site Ops', 'Design Review', directory.chat('room', 'lunch').id]),
    );
    // All new: active, AI off, no project.
    await expect(page.locator('li.item', { hasText: 'Tower B – Site Ops' }).textContent()).resolves.toContain(
      say('groups.aiOff'),
    );
    await captureScreens(page, 'groups');
  });

  it("shows a group's timeline, a markup display name and text only as text", async () => {
    await page.getByRole('link', { name: 'Tower B – Site Ops' }).click();
    expect(path()).toBe(`/admin/groups/${(await groupRow('ops')).id}`);
    const timeline = page.locator('ol.timeline li.msg');
    await expect(timeline.count()).resolves.toBe(
      SEEDED_TEXTS.filter((m) => m.chat === 'group:ops').length + SEEDED_PHOTOS,
    );
    // Oldest first, as a chat reads; the photo last, as a file waiting for the NAS copy.
    await expect(timeline.first().locator('.bubble').textContent()).resolves.toBe(SEEDED_TEXTS[0].text);
    await expect(timeline.last().locator('.file-chip .sync').textContent()).resolves.toBe(say('syncStatus.pending'));
    // Its thumbnail is LINE's preview through the Worker (the page's CSP allows only our origin): a decoded 240x180 image.
    const thumb = timeline.last().locator('img.thumb');
    await thumb.scrollIntoViewIfNeeded();
    await expect
      .poll(() =>
        thumb.evaluate((img: { complete: boolean; naturalWidth: number; naturalHeight: number }) =>
          img.complete ? `${img.naturalWidth}x${img.naturalHeight}` : 'loading',
        ),
      )
      .toBe('240x180');
    await expect(page.locator('.table-wrap tr[data-file]').count()).resolves.toBe(SEEDED_PHOTOS); // the group's files
    // The name and the message, character for character, as text nodes.
    await expect(page.locator('ol.timeline .msg-head .name', { hasText: EVIL_NAME }).count()).resolves.toBe(1);
    await expect(page.locator('ol.timeline .bubble', { hasText: '<script>alert(2)</script>' }).count()).resolves.toBe(
      1,
    );
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    await expect(page.locator('main script').count()).resolves.toBe(0);
    await captureScreens(page, 'group');
    // Were markup ever to get in, the policy would stop it: an inline script put into the page is refused.
    const refused = page.waitForEvent('console', (m) => m.text().includes('Content Security Policy'));
    await page.evaluate(
      `{ const s = document.createElement('script'); s.textContent = 'document.title = "ran"'; document.body.append(s); }`,
    );
    await refused;
    expect(await page.title()).not.toBe('ran');
    // That refusal was this test's own doing.
    incidents.splice(0, incidents.length, ...incidents.filter((i) => !i.includes('Content Security Policy')));
  });

  it('turns AI on for the group, and the database says so', async () => {
    const before = await groupRow('ops');
    expect(before.allow_ai_response).toBe(false);
    await page.click(`form[action="/admin/groups/${before.id}/ai"] button[type="submit"]`);
    expect(path()).toBe(`/admin/groups/${before.id}`);
    await expect(notice()).resolves.toBe(say('notice.aiOn'));
    expect((await groupRow('ops')).allow_ai_response).toBe(true);
    await expect(page.locator('#ai-h + p').textContent()).resolves.toBe(say('group.aiIsOn'));
    // The notice is shown once.
    await page.reload();
    await expect(page.locator('[role="status"]').count()).resolves.toBe(0);
  });

  it('binds the group to a project, and unbinds it', async () => {
    const { id } = await groupRow('ops');
    const [project] = await env.rows<{ id: string }>('select id from projects where name = $1', [PROJECTS[0]]);
    await page.selectOption('select#projectId', { label: PROJECTS[0] });
    await page.click(`form[action="/admin/groups/${id}/project"] button[type="submit"]`);
    await expect(notice()).resolves.toBe(say('notice.projectBound'));
    expect((await groupRow('ops')).project_id).toBe(project!.id);
    await expect(page.locator('dl.facts').textContent()).resolves.toContain(PROJECTS[0]);
    await captureScreens(page, 'group-bound');

    await page.selectOption('select#projectId', { value: '' });
    await page.click(`form[action="/admin/groups/${id}/project"] button[type="submit"]`);
    await expect(notice()).resolves.toBe(say('notice.projectUnbound'));
    expect((await groupRow('ops')).project_id).toBeNull();
    // Bound again for the screens that follow (the list shows it).
    await page.selectOption('select#projectId', { label: PROJECTS[0] });
    await page.click(`form[action="/admin/groups/${id}/project"] button[type="submit"]`);
    expect((await groupRow('ops')).project_id).toBe(project!.id);
  });

  it("saves the group's AI instructions as written, markup included", async () => {
    const { id } = await groupRow('ops');
    const text = '回答請用繁體中文。\n<b>工地</b> 8:00 開工';
    await page.fill('textarea#aiInstructions', text);
    await page.click(`form[action="/admin/groups/${id}/instructions"] button[type="submit"]`);
    await expect(notice()).resolves.toBe(say('notice.instructionsSaved'));
    const [row] = await env.rows<{ ai_instructions: string }>('select ai_instructions from line_groups where id = $1', [
      id,
    ]);
    // As the browser sends a textarea: line breaks as CRLF.
    expect(row!.ai_instructions.replace(/\r\n/g, '\n')).toBe(text);
    await expect(page.locator('textarea#aiInstructions').inputValue()).resolves.toBe(text);
    await expect(page.locator('main b').count()).resolves.toBe(0);
  });

  it('lists messages and files of every chat, filtered by chat', async () => {
    await open('/admin/messages');
    await expect(page.locator('table.messages tbody tr').count()).resolves.toBe(SEEDED_TEXTS.length + SEEDED_PHOTOS);
    await expect(
      page.locator('table.messages td.content', { hasText: '<script>alert(2)</script>' }).count(),
    ).resolves.toBe(1);
    await expect(page.locator('table.messages td', { hasText: EVIL_NAME }).count()).resolves.toBe(1);
    await captureScreens(page, 'messages');
    const { id } = await groupRow('design');
    await open(`/admin/messages?groupId=${id}`);
    await expect(page.locator('table.messages td.content').allTextContents()).resolves.toEqual([
      'Design review moved to 3pm',
    ]);

    await open('/admin/files');
    await expect(page.locator('tr[data-file]').count()).resolves.toBe(SEEDED_PHOTOS);
    await captureScreens(page, 'files');
    await open('/admin/files?syncStatus=synced');
    await expect(page.locator('tr[data-file]').count()).resolves.toBe(0);
  });

  it('lists LINE users with a markup name as text, and who is bound to which account', async () => {
    await open('/admin/line-users');
    await expect(page.getByText(EVIL_NAME, { exact: true }).count()).resolves.toBeGreaterThanOrEqual(1);
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    for (const u of ['Alice Chen', 'Bob Tanaka', 'Carol Lin', 'Dave Wu'])
      await expect(page.getByText(u, { exact: true }).count()).resolves.toBeGreaterThanOrEqual(1);
    await captureScreens(page, 'line-users');
  });

  it('issues a binding code (shown large, with its expiry) that binds the LINE user who sends it', async () => {
    await open('/admin/accounts');
    for (const a of ACCOUNTS)
      await expect(page.locator(`tr:has(td.mono:text-is("${a.username}"))`).count()).resolves.toBe(1);
    await captureScreens(page, 'accounts');
    const [dave] = await env.rows<{ id: number }>(`select id from users where username = 'dave'`);
    await page.click(`form[action="/admin/accounts/${dave!.id}/binding-code"] button[type="submit"]`);
    expect(path()).toBe(`/admin/accounts/${dave!.id}/binding-code`);
    await expect(notice()).resolves.toBe(say('notice.codeIssued'));
    const shown = (await page.locator('.code').textContent())!.trim();
    const [live] = await env.rows<{ code: string; expires_at: Date }>(
      'select code, expires_at from line_binding_codes where user_id = $1 and used_at is null and revoked_at is null',
      [dave!.id],
    );
    // Stored without the dashes, shown in groups of three.
    expect(shown.replace(/-/g, '')).toBe(live!.code);
    expect(shown).toMatch(/^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$/);
    const expiry = await page.locator('.code-panel time').getAttribute('datetime');
    expect(expiry).toBe(live!.expires_at.toISOString());
    // The code is on the page only: not in the URL, not in a cookie.
    for (const form of [shown, live!.code]) {
      expect(page.url()).not.toContain(form);
      expect(JSON.stringify(await context.cookies())).not.toContain(form);
    }
    await captureScreens(page, 'binding-code');

    // Dave sends it to the bot in a 1:1 chat: bound, as the LINE users screen then shows.
    const { report } = await deliver(
      env.target,
      build.webhookBody(directory.botUserId, [build.text(build.inUser(directory.user('dave').userId), shown)]),
    );
    expect(report?.events[0]?.inbox?.status).toBe('done');
    const [bound] = await env.rows<{ user_id: number | null }>(
      'select user_id from line_users where line_user_id = $1',
      [directory.user('dave').userId],
    );
    expect(bound?.user_id).toBe(dave!.id);
  });

  it('unbinds a LINE user from their account, after a confirmation', async () => {
    const daveLine = directory.user('dave').userId;
    const [row] = await env.rows<{ id: string }>('select id from line_users where line_user_id = $1', [daveLine]);
    await open('/admin/line-users');
    await page.click(`a[href="/admin/line-users/${row!.id}/unbind"]`);
    expect(path()).toBe(`/admin/line-users/${row!.id}/unbind`);
    // Nothing changes until the confirmation is sent.
    expect(
      (await env.rows<{ user_id: number | null }>('select user_id from line_users where id = $1', [row!.id]))[0]!
        .user_id,
    ).not.toBeNull();
    await captureScreens(page, 'unbind');
    await page.click(`form[action="/admin/line-users/${row!.id}/unbind"] button[type="submit"]`);
    expect(path()).toBe('/admin/line-users');
    await expect(notice()).resolves.toBe(say('notice.unbound'));
    expect(
      (await env.rows<{ user_id: number | null }>('select user_id from line_users where id = $1', [row!.id]))[0]!
        .user_id,
    ).toBeNull();
  });

  it('retries a dead event from the inbox: it is processed again and its status changes', async () => {
    // An event that gave up after its attempts (LINE's API was down), still holding its payload.
    const carol = directory.user('carol').userId;
    const event = build.text(build.inUser(carol), '請問明天的會議改到幾點？');
    const [dead] = await env.rows<{ id: string }>(
      `insert into line_webhook_events (webhook_event_id, destination, event_type, source_type, event_timestamp, payload, status, attempts, last_error, locked_at, processed_at)
       values ($1, $2, 'message', 'user', $3, $4, 'dead', 5, 'LINE API 500: upstream unavailable', null, now()) returning id`,
      [event.webhookEventId, directory.botUserId, event.timestamp, JSON.stringify(event)],
    );
    await open('/admin/inbox');
    const row = page.locator(`[data-event="${dead!.id}"]`);
    await expect(row.locator('pre.error').textContent()).resolves.toBe('LINE API 500: upstream unavailable');
    await expect(row.locator('.badges').textContent()).resolves.toContain(say('eventStatus.dead'));
    await captureScreens(page, 'inbox');
    await row.locator(`form[action="/admin/inbox/${dead!.id}/retry"] button[type="submit"]`).click();
    expect(path()).toBe('/admin/inbox');
    await expect(notice()).resolves.toBe(say('notice.retried'));
    // Processed in the background: done, and the message it carried is stored.
    await expect
      .poll(
        async () =>
          (await env.rows<{ status: string }>('select status from line_webhook_events where id = $1', [dead!.id]))[0]!
            .status,
        { timeout: 15_000 },
      )
      .toBe('done');
    const [message] = await env.rows<{ content: string }>('select content from line_messages where message_id = $1', [
      (event.message as { id: string }).id,
    ]);
    expect(message?.content).toBe('請問明天的會議改到幾點？');
    // Gone from the failed-and-dead list; listed as done, with no retry button.
    await page.reload();
    await expect(page.locator(`[data-event="${dead!.id}"]`).count()).resolves.toBe(0);
    await open('/admin/inbox?status=done');
    const doneRow = page.locator(`[data-event="${dead!.id}"]`);
    await expect(doneRow.locator('.badges').textContent()).resolves.toContain(say('eventStatus.done'));
    await expect(doneRow.locator('form').count()).resolves.toBe(0);
  });

  it('shows an AI answer in the AI logs: who asked where, the question as text, tokens and tools', async () => {
    // As the AI Workflow records one (the Worker bundle on Miniflare runs no Workflow): mallory's question in ops.
    const question = '<script>alert(3)</script> 明天幾點灌漿？';
    const [answer] = await env.rows<{ id: string }>(
      `insert into line_ai_answers (webhook_event_id, instance_id, question_message_id, line_user_id, line_group_id, question, event_at, status, outcome, model,
                                    input_tokens, output_tokens, latency_ms, sent_by, tool_calls, finished_at)
       select 'ai-browser-1', 'ai-browser-1', m.id, m.line_user_id, m.line_group_id, $1, now(), 'answered', 'answered', 'claude-sonnet-5-5',
              1234, 56, 2100, 'reply', '[{"name":"search_chat_history","input":{},"ok":true}]'::jsonb, now()
       from line_messages m join line_users u on u.id = m.line_user_id where u.line_user_id = $2 limit 1 returning id`,
      [question, directory.user('mallory').userId],
    );
    await open('/admin/ai-logs');
    const item = page.locator(`[data-answer="${answer!.id}"]`);
    await expect(item.locator('p.question').textContent()).resolves.toBe(question);
    await expect(item.getByText(EVIL_NAME, { exact: true }).count()).resolves.toBe(1);
    await expect(item.getByText('Tower B – Site Ops', { exact: true }).count()).resolves.toBe(1);
    await expect(item.textContent()).resolves.toContain(say('ai.tokens', { input: '1,234', output: '56' }));
    await expect(item.locator('.badge', { hasText: 'search_chat_history' }).count()).resolves.toBe(1);
    await expect(page.locator('img[src="x"], main script').count()).resolves.toBe(0);
    await captureScreens(page, 'ai-logs');
    await open('/admin/ai-logs/usage');
    await expect(page.locator('table[data-usage="totals"]').textContent()).resolves.toContain('1,234');
    await captureScreens(page, 'ai-usage');
  });

  it('revokes a share link: the database says so and the link answers 410', async () => {
    const token = randomBytes(16).toString('base64url');
    const [link] = await env.rows<{ id: string }>(
      `insert into share_links (token_hash, r2_key, file_name, content_type, size, expires_at)
       values ($1, 'sends/browser/file', $2, 'application/pdf', 10, now() + interval '1 day') returning id`,
      [createHash('sha256').update(token).digest('hex'), EVIL_NAME],
    );
    await open('/admin/share-links');
    const row = page.locator(`tr[data-share-link="${link!.id}"]`);
    await expect(row.locator('.name', { hasText: EVIL_NAME }).count()).resolves.toBe(1);
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    await row.locator('button[type="submit"]').click();
    expect(path()).toBe('/admin/share-links');
    await expect(notice()).resolves.toBe(say('notice.shareLinkRevoked'));
    expect(
      (await env.rows<{ revoked_at: Date | null }>('select revoked_at from share_links where id = $1', [link!.id]))[0]!
        .revoked_at,
    ).not.toBeNull();
    await expect(page.locator(`tr[data-share-link="${link!.id}"]`).getAttribute('data-state')).resolves.toBe('revoked');
    expect((await context.request.get(url(`/s/${token}`))).status()).toBe(410);
  });

  it('passes axe-core (WCAG 2.1 A and AA) on every screen, in both languages, signed in and not', async () => {
    const [ops] = await env.rows<{ id: string }>('select id from line_groups where line_group_id = $1', [
      directory.chat('group', 'ops').id,
    ]);
    const [alice] = await env.rows<{ id: string }>('select id from line_users where line_user_id = $1', [
      directory.user('alice').userId,
    ]);
    const [dave] = await env.rows<{ id: number }>(`select id from users where username = 'dave'`);
    const ids: Record<string, string> = { group: ops!.id, lineUser: alice!.id, account: String(dave!.id) };
    await open('/admin');
    const menu = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    const paths = [...new Set([...ACCESSIBLE_SCREENS, ...menu])].map((p) =>
      p.replace(/:(group|lineUser|account)\b/g, (_: string, k: string) => ids[k]!),
    );
    // English: the same session in a browser that prefers English.
    const english = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    await english.addCookies(await context.cookies());
    const signedOut = await browser.newContext({ locale: 'zh-TW' });
    try {
      const englishPage = await english.newPage();
      for (const [tab, lang] of [
        [page, 'zh-Hant'],
        [englishPage, 'en'],
      ] as const) {
        for (const p of paths) {
          await tab.goto(url(p));
          await expect(tab.locator('html').getAttribute('lang'), p).resolves.toBe(lang);
          await expectAccessible(tab);
        }
      }
      // The sign-in page, in both languages, and with a refusal on it.
      const visitor = await signedOut.newPage();
      for (const language of ['zh-TW,zh;q=0.9', 'en-US,en;q=0.9']) {
        await visitor.setExtraHTTPHeaders({ 'accept-language': language });
        await visitor.goto(url('/admin/login'));
        await expectAccessible(visitor);
        await visitor.fill('input[name="token"]', 'not-the-token');
        await visitor.click('button[type="submit"]');
        await expect(visitor.getByRole('alert').count()).resolves.toBe(1);
        await expectAccessible(visitor);
      }
    } finally {
      await english.close();
      await signedOut.close();
    }
  }, 240_000);

  it('has every screen in the menu, and any screen not opened above answers', async () => {
    const hrefs = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(hrefs).toEqual(
      expect.arrayContaining(['/admin', '/admin/groups', '/admin/line-users', '/admin/accounts', '/admin/inbox']),
    );
    // The screens the tests above have not opened yet: each answers, with a heading and no markup from LINE.
    const seen = [
      '/admin',
      '/admin/groups',
      '/admin/line-users',
      '/admin/accounts',
      '/admin/inbox',
      '/admin/messages',
      '/admin/files',
      '/admin/ai-logs',
    ];
    for (const href of hrefs.filter((h) => !seen.includes(h))) {
      await open(href);
      await expect(page.locator('h1').count(), href).resolves.toBeGreaterThanOrEqual(1);
      await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
      await captureScreens(page, href.replace('/admin/', '').replace(/\//g, '-'));
    }
  });

  describe('a forged form changes nothing', () => {
    it('refuses a post from a foreign Origin, and one without or with a wrong CSRF token', async () => {
      const ops = await groupRow('ops');
      expect(ops.allow_ai_response).toBe(true);
      await open('/admin');
      const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
      expect(csrf).not.toBe('');
      const action = url(`/admin/groups/${ops.id}/ai`);
      // Same session cookie (the context's request sends it), as a page on someone else's site would.
      expect(
        await forgedPostsNotRefused(context, env, csrf, [[`/admin/groups/${ops.id}/ai`, { allow: 'false' }]]),
      ).toEqual([]);
      const flipped = csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A');
      const wrongToken = await context.request.post(action, {
        form: { allow: 'false', _csrf: flipped },
        headers: { origin: env.url },
        maxRedirects: 0,
      });
      expect(wrongToken.status()).toBe(403);
      // The refusal is a page saying so.
      expect(await wrongToken.text()).toContain(say('error.403'));
      expect((await groupRow('ops')).allow_ai_response).toBe(true);
      // The same post with our own page's token goes through: the refusals were for the forgery.
      const real = await context.request.post(action, {
        form: { allow: 'false', _csrf: csrf },
        headers: { origin: env.url },
        maxRedirects: 0,
      });
      expect(real.status()).toBe(303);
      expect((await groupRow('ops')).allow_ai_response).toBe(false);
    });
  });

  it('signs out: the session ends, and the pages send to sign-in again', async () => {
    const session = (await context.cookies()).find((c) => c.name === SESSION_COOKIE)!;
    expect(session).toBeDefined();
    await open('/admin');
    await page.click('form[action="/admin/logout"] button');
    expect(path()).toBe('/admin/login');
    expect((await context.cookies()).filter((c) => c.name === SESSION_COOKIE)).toEqual([]);
    await page.goto(url('/admin/groups'));
    expect(path()).toBe('/admin/login');
    // The old cookie, replayed, is refused too: signed out on the server, not only deleted here.
    await context.addCookies([session]);
    await page.goto(url('/admin'));
    expect(path()).toBe('/admin/login');
  });

  it('ran no script the pages did not ship, and logged no error', () => {
    expect(incidents).toEqual([]);
  });
});
