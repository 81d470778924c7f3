/**
 * `npm run screenshots`: the README's pictures, taken in real Chromium (the launcher of the browser
 * tests). The console's: from the dev stack on a fresh database with the browser tests' seed and 30
 * days of history: docs/console-overview.png, docs/console-group.png, docs/console-send.png (the
 * group page's "send as the bot" box) and docs/console-announce.png (an announcement to a
 * project's two groups, previewed with its cost), 1280x800. Then the chat's
 * (scripts/chat-screenshots.ts): what LINE users see of the bot, docs/chat-*.png at a phone's size.
 * `npm run screenshots -- console` or `-- chat` takes only one set.
 *
 * Needs /usr/bin/chromium and fonts-noto-cjk (scripts/install-system-packages.sh) and the local
 * Postgres (TEST_DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { t } from '../src/console/i18n.ts';
import {
  chromiumMissing,
  CONSOLE_SEED,
  directory,
  launchChromium,
  PROJECTS,
  ROOT,
  seedConsole,
  signIn,
  sitePhoto,
  startConsoleStack,
  VIEWPORTS,
} from '../test/support/browser.ts';
import { takeChatScreenshots } from './chat-screenshots.ts';

const missing = chromiumMissing();
if (missing) {
  console.error(`npm run screenshots: ${missing}`);
  process.exit(1);
}

const only = process.argv[2];
if (only !== undefined && only !== 'console' && only !== 'chat') {
  console.error('usage: npm run screenshots [-- console | chat]');
  process.exit(1);
}

async function consoleScreenshots(browser: Browser): Promise<Array<[string, string]>> {
  const env = await startConsoleStack('screenshots', { seed: CONSOLE_SEED });
  try {
    await seedConsole(env, { photo: await sitePhoto(browser), history: true });
    // The ops group as an operator would have set it up: AI on, bound to its project.
    await env.db.query(
      `update line_groups set allow_ai_response = true, project_id = (select id from projects where name = $1), ai_instructions = $3 where line_group_id = $2`,
      [
        PROJECTS[0],
        directory.chat('group', 'ops').id,
        '回答請用繁體中文，簡短明確。\n本群組是 Tower B 工地現場：提到進度時請附上日期。',
      ],
    );
    const context = await browser.newContext({ locale: 'zh-TW', viewport: VIEWPORTS.desktop, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await signIn(page, env);

    const shots: Array<[string, string]> = [];
    const overview = join(ROOT, 'docs', 'console-overview.png');
    await page.screenshot({ path: overview });
    shots.push(['overview', overview]);

    const [ops] = (
      await env.db.query<{ id: string }>('select id from line_groups where line_group_id = $1', [
        directory.chat('group', 'ops').id,
      ])
    ).rows;
    await page.goto(`${env.url}/admin/groups/${ops!.id}`);
    // Down to the end of the chat timeline (the bot's answer on the other side), its settings above.
    const timeline = await page.locator('ol.timeline').boundingBox();
    if (timeline)
      await page.evaluate(
        `window.scrollTo(0, ${Math.round(timeline.y + timeline.height - VIEWPORTS.desktop.height + 24)})`,
      );
    // The thumbnails load lazily, once scrolled into view: wait for them, not a grey placeholder.
    // Polled from here: waitForFunction evaluates its predicate in the page, which the console's CSP
    // (no 'unsafe-eval') refuses.
    for (let tries = 0; ; tries++) {
      const loaded = await page.evaluate(
        `[...document.querySelectorAll('ol.timeline img.thumb')].every((img) => img.complete && img.naturalWidth > 0)`,
      );
      if (loaded) break;
      if (tries > 75) throw new Error('the timeline thumbnails did not load within 15 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const group = join(ROOT, 'docs', 'console-group.png');
    await page.screenshot({ path: group });
    shots.push(['group', group]);

    // The "send as the bot" box, a text typed in, the push's cost and the quota beside it.
    await page.fill('#send-text', '明早八點半泵浦車進場，請預留車道');
    await page.locator('#send').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.evaluate('window.scrollBy(0, -16)');
    const send = join(ROOT, 'docs', 'console-send.png');
    await page.screenshot({ path: send });
    shots.push(['send', send]);

    // An announcement to the project's two groups (design joins ops in it), previewed with its cost.
    await env.db.query(
      'update line_groups set project_id = (select id from projects where name = $1) where line_group_id = $2',
      [PROJECTS[0], directory.chat('group', 'design').id],
    );
    await page.goto(`${env.url}/admin/announcements/new`);
    await page.fill('#ann-text', '週六全區停電，暫停施工；週一照常開工。');
    const [project] = (await env.db.query<{ id: string }>('select id from projects where name = $1', [PROJECTS[0]]))
      .rows;
    await page.check(`input[name="projectId"][value="${project!.id}"]`);
    await page.click(`button:has-text("${t('zh-Hant', 'ann.preview')}")`);
    await page.locator('[data-chats="2"]').waitFor();
    await page.locator('#preview').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    const announce = join(ROOT, 'docs', 'console-announce.png');
    await page.screenshot({ path: announce });
    shots.push(['announce', announce]);

    return shots;
  } finally {
    await env.stop();
  }
}

/** SCREENSHOTS_LOG=1: the stack's output (the Worker, the nas-sync job, the chat transcript) on stderr. */
const log = process.env.SCREENSHOTS_LOG ? (line: string) => console.error(line) : undefined;
const started = Date.now();
const browser = await launchChromium();
try {
  const shots = [
    ...(only !== 'chat' ? await consoleScreenshots(browser) : []),
    ...(only !== 'console' ? await takeChatScreenshots(browser, join(ROOT, 'docs'), log) : []),
  ];
  for (const [name, file] of shots) console.log(`${name.padEnd(12)} ${file.slice(ROOT.length)}`);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await browser.close();
}
