/**
 * Sending as the bot, in real Chromium against the dev stack (the Worker bundle on Miniflare, the
 * LINE emulator, a fresh database): an operator sends a text into a group from its page (the
 * emulator receives one push, even after a double submit and a retried request), picks a NAS file
 * from the project's folder (one send request, even after a double submit; the real nas-sync job
 * beside the Worker uploads it from a sample NAS and the emulator receives one push), and announces to a project's two
 * groups (one push each); every new form is refused with a foreign Origin or without its CSRF
 * token, and a client without a session (or Access) gets nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSampleNas, SAMPLE_PROJECT_FOLDERS } from '../../scripts/local/sample-nas.ts';
import { t, type MessageKey } from '../../src/console/i18n.ts';
import {
  captureScreens,
  chromiumMissing,
  CONSOLE_SEED,
  consolePage,
  directory,
  forgedPostsNotRefused,
  launchChromium,
  PROJECTS,
  seedConsole,
  signIn,
  sitePhoto,
  startConsoleStack,
  type ConsoleStack,
} from '../support/browser.ts';

const say = (key: MessageKey, params?: Record<string, string | number>) => t('zh-Hant', key, params);

let env: ConsoleStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Dialogs, script errors, failed assets: none may happen. */
let incidents: string[] = [];

const url = (path: string) => `${env.url}${path}`;
const groupPk = async (name: string) =>
  (
    await env.rows<{ id: string }>('select id from line_groups where line_group_id = $1', [
      directory.chat('group', name).id,
    ])
  )[0]!.id;
/** The pushes LINE (the emulator) accepted into a chat. */
const pushesTo = async (to: string) => {
  const res = await fetch(
    `${env.target.emulatorUrl}/__emulator/requests?path=${encodeURIComponent('/v2/bot/message/push')}`,
  );
  const { requests } = (await res.json()) as {
    requests: Array<{ body: { to: string; messages: unknown[] }; status: number }>;
  };
  return requests.filter((r) => r.body.to === to && r.status === 200);
};
const open = async (p: string) => {
  const res = await page.goto(url(p));
  expect(res?.status(), `GET ${p}`).toBe(200);
};
const notice = () => page.locator('[role="status"]').textContent();

const missing = chromiumMissing();

describe.skipIf(missing !== null)('sending as the bot in Chromium', () => {
  let ops: string;
  let design: string;
  let fileId: string;
  const fileName = '平面圖-1F.pdf';
  const nasDir = mkdtempSync(join(tmpdir(), 'linebot-sends-nas-'));

  beforeAll(async () => {
    // The sample NAS `npm run dev` sends from, served by the real nas-sync job beside the Worker.
    const nas = await ensureSampleNas(nasDir);
    [env, browser] = await Promise.all([
      startConsoleStack('sends', { seed: CONSOLE_SEED, nas: { shares: nas.shares, mediaRoot: nas.mediaRoot } }),
      launchChromium(),
    ]);
    await seedConsole(env, { photo: await sitePhoto(browser) });
    ops = await groupPk('ops');
    design = await groupPk('design');
    // Both groups are the first project's, whose folder holds the plan.
    await env.db.query('update projects set nas_folder = $1 where name = $2', [SAMPLE_PROJECT_FOLDERS[0], PROJECTS[0]]);
    await env.db.query(
      'update line_groups set project_id = (select id from projects where name = $1) where id in ($2, $3)',
      [PROJECTS[0], ops, design],
    );
    // The job indexes the shares as it starts.
    for (let i = 0; i < 150 && !fileId; i++) {
      const [file] = await env.rows<{ id: string }>("select id from nas_files where share = 'projects' and name = $1", [
        fileName,
      ]);
      if (file) fileId = file.id;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(fileId, 'the nas-sync job indexed the sample').toBeTruthy();
    ({ context, page, incidents } = await consolePage(browser));
    await signIn(page, env);
  });

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
    rmSync(nasDir, { recursive: true, force: true });
  });

  it('sends a text into a group from its page: one push after a double submit and a retried request', async () => {
    await open(`/admin/groups/${ops}`);
    await expect(page.locator('#send-h').textContent()).resolves.toBe(say('send.title'));
    const form = page.locator('form[action$="/send"]');
    const sendId = await form.locator('input[name="sendId"]').inputValue();
    const csrf = await form.locator('input[name="_csrf"]').inputValue();
    await page.fill('#send-text', '明早八點半泵浦車進場');
    await captureScreens(page, 'group-send');
    // Two clicks in a row: the browser sends the form twice.
    await form.locator('button[type="submit"]').dblclick();
    await page.waitForURL(`**/admin/groups/${ops}#send`);
    // The same submission retried (a proxy, a reload that re-posts).
    const retried = await context.request.post(url(`/admin/groups/${ops}/send`), {
      form: { _csrf: csrf, sendId, text: '明早八點半泵浦車進場' },
      headers: { origin: env.url },
      maxRedirects: 0,
    });
    expect(retried.status()).toBe(303);
    const pushes = await pushesTo(directory.chat('group', 'ops').id);
    expect(pushes.map((p) => p.body.messages)).toEqual([[{ type: 'text', text: '明早八點半泵浦車進場' }]]);
    const sent = await env.rows<{ status: string; operator: string }>(
      'select status, operator from operator_sends where id = $1',
      [sendId],
    );
    expect(sent).toEqual([{ status: 'sent', operator: expect.stringMatching(/^token:/) }]);
    const botRows = await env.rows<{ sent_by_operator: string }>(
      "select sent_by_operator from line_messages where line_group_id = $1 and is_from_bot and content = '明早八點半泵浦車進場'",
      [ops],
    );
    expect(botRows).toEqual([{ sent_by_operator: sent[0]!.operator }]);
    await open(`/admin/groups/${ops}`);
    await expect(page.locator(`[data-operator-send="${sendId}"]`).getAttribute('data-status')).resolves.toBe('sent');
  });

  it('searches the project folder and sends a file: one send request after a double submit, uploaded by the job, one push', async () => {
    const to = directory.chat('group', 'ops').id;
    const before = (await pushesTo(to)).length;
    await open(`/admin/groups/${ops}?q=${encodeURIComponent('平面圖')}`);
    const hit = page.locator(`[data-nas-file="${fileId}"]`);
    await expect(hit.count()).resolves.toBe(1);
    const sendId = await hit.locator('input[name="sendId"]').inputValue();
    await hit.locator('button[type="submit"]').dblclick();
    await page.waitForURL(`**/admin/groups/${ops}#send`);
    // Nobody in the chat asked: no asker and no reply token, so the delivery pushes it.
    const requests = await env.rows<{
      id: string;
      reply_token: string | null;
      line_user_id: string | null;
      nas_file_id: string;
    }>('select id, reply_token, line_user_id, nas_file_id from nas_send_requests where request_key = $1', [
      `console:${sendId}`,
    ]);
    expect(requests).toEqual([{ id: expect.any(String), reply_token: null, line_user_id: null, nas_file_id: fileId }]);
    // The nas-sync job claims it, uploads the file to the Worker (R2), and the Worker pushes it.
    let status = '';
    for (let i = 0; i < 150 && status !== 'sent'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await env.rows<{ status: string }>('select status from operator_sends where id = $1', [sendId]))[0]!
        .status;
    }
    expect(status).toBe('sent');
    const sent = await env.rows<{ status: string; sent_by: string }>(
      'select status, sent_by from nas_send_requests where id = $1',
      [requests[0]!.id],
    );
    expect(sent).toEqual([{ status: 'sent', sent_by: 'push' }]);
    // A late second push would show here: wait past the job's next poll before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    const pushes = (await pushesTo(to)).slice(before);
    expect(pushes).toHaveLength(1);
    expect(JSON.stringify(pushes[0]!.body.messages)).toContain(fileName);
    await open(`/admin/groups/${ops}`);
    await expect(page.locator(`[data-operator-send="${sendId}"]`).getAttribute('data-status')).resolves.toBe('sent');
    await expect(page.locator(`[data-operator-send="${sendId}"]`).textContent()).resolves.toContain(fileName);
  }, 60_000);

  it("announces to the project's two groups: the preview's cost, then one push each", async () => {
    await open('/admin/announcements/new');
    await page.fill('#ann-text', '週六全區停電，暫停施工');
    const projectId = (await env.rows<{ id: string }>('select id from projects where name = $1', [PROJECTS[0]]))[0]!.id;
    await page.check(`input[name="projectId"][value="${projectId}"]`);
    await page.click(`button:has-text("${say('ann.preview')}")`);
    const summary = page.locator('[data-chats]');
    await expect(summary.getAttribute('data-chats')).resolves.toBe('2');
    // ops has 4 members in the seed (with mallory), design 2: a push counts once per member.
    const estimate = Number(await summary.getAttribute('data-push-estimate'));
    expect(estimate).toBeGreaterThan(0);
    await captureScreens(page, 'announcement-preview');
    const before = {
      ops: (await pushesTo(directory.chat('group', 'ops').id)).length,
      design: (await pushesTo(directory.chat('group', 'design').id)).length,
    };
    await page.locator('#preview button[type="submit"]').dblclick();
    await page.waitForURL('**/admin/announcements/*');
    await expect(notice()).resolves.toBe(say('notice.announcementStarted'));
    // Sent after the response: reload until both chats are done.
    for (let i = 0; i < 30; i++) {
      if ((await page.locator('[data-progress]').getAttribute('data-progress')) === '2/0/2') break;
      await new Promise((r) => setTimeout(r, 200));
      await page.reload();
    }
    await expect(page.locator('[data-progress]').getAttribute('data-progress')).resolves.toBe('2/0/2');
    await captureScreens(page, 'announcement');
    expect((await pushesTo(directory.chat('group', 'ops').id)).length).toBe(before.ops + 1);
    expect((await pushesTo(directory.chat('group', 'design').id)).length).toBe(before.design + 1);
    const [announcement] = await env.rows<{ push_estimate: number; n: number }>(
      'select push_estimate, (select count(*)::int from announcements) as n from announcements',
    );
    expect(announcement).toEqual({ push_estimate: estimate, n: 1 });
  });

  it('refuses every new form from a foreign Origin or site, or without or with a wrong CSRF token, with nothing sent', async () => {
    await open(`/admin/groups/${ops}`);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const user = (await env.rows<{ id: string }>('select id from line_users limit 1'))[0]!.id;
    const sendId = crypto.randomUUID();
    const forms: Array<[string, Record<string, string>]> = [
      [`/admin/groups/${ops}/send`, { sendId, text: 'forged' }],
      [`/admin/groups/${ops}/send-file`, { sendId, fileId }],
      [`/admin/line-users/${user}/send`, { sendId, text: 'forged' }],
      [`/admin/line-users/${user}/send-file`, { sendId, fileId }],
      ['/admin/announcements/preview', { text: 'forged', groupId: ops }],
      ['/admin/announcements', { announcementId: sendId, text: 'forged', groupId: ops }],
      [`/admin/announcements/${sendId}/continue`, {}],
    ];
    expect(await forgedPostsNotRefused(context, env, csrf, forms)).toEqual([]);
    expect(await env.rows('select id from operator_sends where id = $1', [sendId])).toEqual([]);
    expect(await env.rows('select id from announcements where id = $1', [sendId])).toEqual([]);
  });

  it('a client without a session (no token sign-in, no Access) gets nothing', async () => {
    const stranger = await browser.newContext();
    try {
      const visitor = await stranger.newPage();
      for (const p of [`/admin/groups/${ops}`, '/admin/announcements', '/admin/announcements/new']) {
        await visitor.goto(url(p));
        expect(new URL(visitor.url()).pathname, p).toBe('/admin/login');
      }
      const posted = await stranger.request.post(url(`/admin/groups/${ops}/send`), {
        form: { sendId: crypto.randomUUID(), text: 'anonymous' },
        headers: { origin: env.url },
        maxRedirects: 0,
      });
      expect(posted.status()).toBe(401);
      expect(await env.rows("select id from line_messages where content = 'anonymous'")).toEqual([]);
    } finally {
      await stranger.close();
    }
  });

  it('ran no script and raised no dialog', () => {
    expect(incidents).toEqual([]);
  });
});
