/**
 * Taking over a chat from the AI, in real Chromium against the dev stack with the Claude emulator:
 * an operator pauses the AI on a group's page, a mention of the bot is stored and reaches no
 * Claude call (the emulator records every request), the groups list says who paused it and until
 * when, and resuming brings the AI back. The new forms refuse a foreign Origin and a missing or
 * wrong CSRF token, and a client without a session gets nothing.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, deliver } from '../../scripts/line/index.ts';
import { t, type MessageKey } from '../../src/console/i18n.ts';
import { say as botSays } from '../../src/messages/catalog.ts';
import {
  captureScreens,
  chromiumMissing,
  CONSOLE_SEED,
  consolePage,
  directory,
  forgedPostsNotRefused,
  launchChromium,
  seedConsole,
  signIn,
  sitePhoto,
  startConsoleStack,
  type ConsoleStack,
} from '../support/browser.ts';

const say = (key: MessageKey) => t('zh-Hant', key);

/** The stack, the browser and the signed-in operator's page, for the whole file. */
let [env, browser, context, page] = [] as unknown as [ConsoleStack, Browser, BrowserContext, Page];
/** Dialogs, script errors, failed assets: none may happen. */
let incidents: string[] = [];
const url = (path: string) => `${env.url}${path}`;
const ops = () => directory.chat('group', 'ops').id;
let opsPk = '';
const pauseOfOps = async () =>
  (
    await env.rows<{ paused_by: string; paused_until: Date | null; notice_sent_at: Date | null }>(
      'select paused_by, paused_until, notice_sent_at from ai_pauses where line_group_id = $1',
      [opsPk],
    )
  )[0];
/** Alice mentions the bot in ops (LINE's isSelf mention); resolves once the event is processed. */
async function askInOps(text: string) {
  const event = build.text(
    build.inGroup(ops(), directory.user('alice').userId),
    `@bot ${text}`,
    directory.mentionable(),
  );
  const { delivery, report } = await deliver(env.target, build.webhookBody(directory.botUserId, [event]));
  expect(delivery.status).toBe(200);
  expect(report?.events[0]?.inbox?.status).toBe('done');
  return (event.message as { id: string }).id;
}
const claudeAsked = (marker: string) =>
  env.stack.claude!.requests().filter((r) => JSON.stringify(r.body).includes(marker));

const missing = chromiumMissing();

describe.skipIf(missing !== null)('taking over a chat from the AI, in Chromium', () => {
  beforeAll(async () => {
    [env, browser] = await Promise.all([
      startConsoleStack('pause', { seed: CONSOLE_SEED, claude: true }),
      launchChromium(),
    ]);
    await seedConsole(env, { photo: await sitePhoto(browser) });
    // alice is bound to her account and the ops group answers with AI: the AI would answer her.
    await env.db.query(
      `update line_users set user_id = (select id from users where username = 'alice') where line_user_id = $1`,
      [directory.user('alice').userId],
    );
    opsPk = (await env.rows<{ id: string }>('select id from line_groups where line_group_id = $1', [ops()]))[0]!.id;
    await env.db.query('update line_groups set allow_ai_response = true where id = $1', [opsPk]);

    ({ context, page, incidents } = await consolePage(browser));
    await signIn(page, env);
  });

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('pauses the AI on the group page for 4 hours: the page says by whom and until when', async () => {
    await page.goto(url(`/admin/groups/${opsPk}`));
    const panel = page.locator('[data-ai-pause-panel]');
    await expect(panel.textContent()).resolves.toContain(say('pause.notPaused'));
    await panel.locator('select[name="hours"]').selectOption('4');
    await panel.locator('button', { hasText: say('pause.submit') }).click();
    expect(new URL(page.url()).pathname).toBe(`/admin/groups/${opsPk}`);
    await expect(page.locator('[role="status"]').textContent()).resolves.toContain(say('notice.aiPaused'));

    const pause = await pauseOfOps();
    expect(pause?.paused_by).toMatch(/^token:/);
    const [period] = await env.rows<{ hours: string }>(
      'select extract(epoch from paused_until - paused_at) / 3600 as hours from ai_pauses where line_group_id = $1',
      [opsPk],
    );
    expect(Number(period!.hours)).toBeCloseTo(4, 5);
    const facts = await page.locator('[data-ai-pause-panel] dl[data-ai-paused]').textContent();
    expect(facts).toContain(pause!.paused_by);
    expect(facts).toContain(say('pause.noticeNotYet'));
    // The trail of this group's pauses, in the audit screen's URL shape.
    await expect(
      page.locator('[data-ai-pause-panel] a', { hasText: say('pause.audit') }).getAttribute('href'),
    ).resolves.toBe(`/admin/audit?action=ai.paused&groupId=${opsPk}`);
    await captureScreens(page, 'group-ai-paused');
  });

  it('a mention while paused is stored, reaches no Claude call, and the chat is told once', async () => {
    const marker = `pause-${Date.now()}`;
    const first = await askInOps(`今天誰負責 ${marker}`);
    const second = await askInOps(`還有人在嗎 ${marker}`);
    const stored = await env.rows<{ message_id: string; ai_processed: boolean }>(
      'select message_id, ai_processed from line_messages where message_id = any($1)',
      [[first, second]],
    );
    expect(stored).toHaveLength(2);
    expect(stored.every((r) => r.ai_processed)).toBe(true);
    // Give a Workflow that should not exist the time to ask anyway.
    await new Promise((r) => setTimeout(r, 1500));
    expect(claudeAsked(marker)).toEqual([]);
    expect(await env.rows('select id from line_ai_answers where question like $1', [`%${marker}%`])).toEqual([]);
    const notices = await env.rows(
      'select id from line_messages where line_group_id = $1 and is_from_bot and content = $2',
      [opsPk, botSays('zh-TW', 'ai.paused')],
    );
    expect(notices).toHaveLength(1);
    expect((await pauseOfOps())?.notice_sent_at).not.toBeNull();
  });

  it('the groups list shows the pause with who and until when', async () => {
    await page.goto(url('/admin/groups'));
    const badge = page.locator(`[data-group="${opsPk}"] [data-ai-paused]`);
    const text = await badge.textContent();
    expect(text).toContain(say('pause.badge'));
    expect(text).toContain((await pauseOfOps())!.paused_by);
    await expect(badge.locator('time').count()).resolves.toBe(1);
    // The other groups are not paused.
    await expect(page.locator('[data-ai-paused]').count()).resolves.toBe(1);
  });

  it('refuses the new forms from a foreign Origin or site and without or with a wrong CSRF token', async () => {
    await page.goto(url(`/admin/groups/${opsPk}`));
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const posts: Array<[string, Record<string, string>]> = [
      [`/admin/groups/${opsPk}/ai-resume`, {}],
      [`/admin/groups/${opsPk}/ai-pause`, { hours: 'until' }],
      [`/admin/line-users/${crypto.randomUUID()}/ai-pause`, { hours: '1' }],
    ];
    const before = await pauseOfOps();
    expect(await forgedPostsNotRefused(context, env, csrf, posts)).toEqual([]);
    expect(await pauseOfOps()).toEqual(before);
  });

  it('a client without a session gets nothing: no page, no change', async () => {
    const stranger = await browser.newContext();
    try {
      const user = (
        await env.rows<{ id: string }>('select id from line_users where line_user_id = $1', [
          directory.user('dave').userId,
        ])
      )[0]!.id;
      const pageRes = await stranger.request.get(url(`/admin/line-users/${user}/ai`), { maxRedirects: 0 });
      expect(pageRes.status()).toBe(303);
      expect(pageRes.headers().location).toBe('/admin/login');
      const post = await stranger.request.post(url(`/admin/groups/${opsPk}/ai-resume`), {
        form: {},
        headers: { origin: env.url },
        maxRedirects: 0,
      });
      expect([401, 403]).toContain(post.status());
      expect(await pauseOfOps()).toBeDefined();
    } finally {
      await stranger.close();
    }
  });

  it('resumes the AI: the next mention is answered by Claude again', async () => {
    await page.goto(url(`/admin/groups/${opsPk}`));
    await page.locator('[data-ai-pause-panel] button', { hasText: say('pause.resume') }).click();
    await expect(page.locator('[role="status"]').textContent()).resolves.toContain(say('notice.aiResumed'));
    expect(await pauseOfOps()).toBeUndefined();
    await expect(page.locator('[data-ai-pause-panel]').textContent()).resolves.toContain(say('pause.notPaused'));

    const marker = `resumed-${Date.now()}`;
    await askInOps(`現在呢 ${marker}`);
    const deadline = Date.now() + 20_000;
    while (claudeAsked(marker).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(claudeAsked(marker)).toHaveLength(1);
    const trail = await env.rows<{ action: string; via: string }>(
      `select action, via from audit_log where line_group_id = $1 and action in ('ai.paused', 'ai.resumed') order by id`,
      [opsPk],
    );
    expect(trail).toEqual([
      { action: 'ai.paused', via: 'console' },
      { action: 'ai.resumed', via: 'console' },
    ]);
  });

  it("pauses and resumes a 1:1 chat from its LINE user's page", async () => {
    await page.goto(url('/admin/line-users'));
    const alice = (
      await env.rows<{ id: string }>('select id from line_users where line_user_id = $1', [
        directory.user('alice').userId,
      ])
    )[0]!.id;
    await page.locator(`[data-line-user="${alice}"] a[href="/admin/line-users/${alice}/ai"]`).click();
    await page.locator('select[name="hours"]').selectOption('until');
    await page.locator('button', { hasText: say('pause.submit') }).click();
    await expect(page.locator('[data-ai-paused]').count()).resolves.toBe(1);
    await expect(page.locator('[data-ai-pause-panel]').textContent()).resolves.toContain(say('pause.untilResumed'));
    const [row] = await env.rows<{ paused_until: Date | null }>(
      'select paused_until from ai_pauses where line_user_id = $1',
      [alice],
    );
    expect(row).toEqual({ paused_until: null });
    await page.goto(url('/admin/line-users'));
    await expect(page.locator(`[data-line-user="${alice}"] [data-ai-paused]`).count()).resolves.toBe(1);
    await page.goto(url(`/admin/line-users/${alice}/ai`));
    await page.locator('button', { hasText: say('pause.resume') }).click();
    expect(await env.rows('select id from ai_pauses where line_user_id = $1', [alice])).toEqual([]);
  });

  it('ran no script and raised no dialog', () => {
    expect(incidents).toEqual([]);
  });
});
