/**
 * Real Chromium for the console's end-to-end tests (test/browser/) and the README screenshots
 * (scripts/screenshots.ts): Debian's `chromium` driven by playwright-core (Playwright's own browser
 * download does not work offline), and the dev stack it talks to, on a fresh database in the
 * local Postgres.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createDatabase, dropDatabase, migrateDatabase } from '../../scripts/lib/database.ts';
import { readSeedFile, type EmulatorSeed } from '../../scripts/line-emulator/index.ts';
import { build, deliver, Directory, type Target } from '../../scripts/line/index.ts';
import { DEFAULT_SEED_FILE } from '../../scripts/local/paths.ts';
import { startNasJob } from '../../scripts/local/nas-job.ts';
import { startStack, type Stack } from '../../scripts/local/stack.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const INSTALL_HINT = 'apt-get install -y chromium fonts-noto-cjk, or scripts/install-system-packages.sh';

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (${INSTALL_HINT})`;
}

/** Headless, no sandbox (containers), nothing that reaches the internet on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone (the operators' usual device) and a laptop. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');

/**
 * `<name>-phone.png` and `<name>-desktop.png` of the page as it is now (the whole page), then the
 * viewport the page had before.
 */
export async function captureScreens(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  const files: string[] = [];
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    const file = join(dir, `${name}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  if (before) await page.setViewportSize(before);
  return files;
}

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN_TOKEN = 'browser-test-admin-token-3e9f27c1d8';
const CHANNEL_SECRET = 'browser-test-channel-secret';
const CHANNEL_ACCESS_TOKEN = 'browser-test-channel-access-token';
const NAS_AGENT_TOKEN = 'browser-test-nas-agent-token-b06d5a';

export interface ConsoleStack {
  stack: Stack;
  /** The console's origin, e.g. http://127.0.0.1:43121 */
  url: string;
  /** Straight into the Worker's database (seeding, checking what a form changed). */
  db: pg.Pool;
  /** One query on `db`, its rows. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Where signed webhooks go (the sender of `npm run line`). */
  target: Target;
  stop(): Promise<void>;
}

/**
 * The dev stack (scripts/local/stack.ts: the ws proxy, the LINE emulator, the Worker) on a fresh,
 * migrated database in the local Postgres, with fixed test secrets.
 */
export async function startConsoleStack(
  label: string,
  /** `claude`: the Claude emulator and the AI_ANSWER Workflow too (`stack.claude` records what the Worker asked). */
  options: {
    seed?: EmulatorSeed;
    log?: (line: string) => void;
    claude?: boolean;
    /** The on-prem nas-sync job beside the Worker, as `npm run dev` runs it: NAS_SHARES and NAS_ROOT. */
    nas?: { shares: string; mediaRoot: string };
  } = {},
): Promise<ConsoleStack> {
  const name = `linebot_${label}_${Date.now()}_${process.pid}`;
  const databaseUrl = await createDatabase(ADMIN_URL, name);
  const stops: Array<() => Promise<unknown>> = [() => dropDatabase(ADMIN_URL, name)];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  try {
    const bundleDir = mkdtempSync(join(tmpdir(), `linebot-${label}-bundle-`));
    stops.push(async () => rmSync(bundleDir, { recursive: true, force: true }));
    // The migrations run while the Worker is bundled and starts (it reads nothing before a request).
    const migrated = migrateDatabase(databaseUrl);
    const starting = startStack({
      // The deploy bundle on one workerd: starts faster than `wrangler dev` (no dev proxy, no
      // watcher) and keeps no state in .wrangler/ between runs.
      worker: 'miniflare',
      bundleDir,
      ports: { worker: 0, emulator: 0, proxy: 0 },
      databaseUrl,
      seed: options.seed,
      ...(options.claude
        ? { claude: { use: 'emulator' as const, apiKey: 'browser-test-anthropic-key' }, workflows: true }
        : {}),
      secrets: {
        LINE_CHANNEL_SECRET: CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: CHANNEL_ACCESS_TOKEN,
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        NAS_AGENT_TOKEN,
        ANTHROPIC_API_KEY: 'browser-test-anthropic-key',
      },
      onWorkerOutput: options.log,
      log: options.log,
    });
    const [migration, started] = await Promise.allSettled([migrated, starting]);
    if (started.status === 'fulfilled') stops.push(() => started.value.stop());
    if (migration.status === 'rejected') throw migration.reason;
    if (started.status === 'rejected') throw started.reason;
    const stack = started.value;
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => {});
    stops.push(() => db.end());
    if (options.nas) {
      // Started here rather than by startStack: only once the migrations are done.
      const job = startNasJob({
        databaseUrl,
        lineDataApiUrl: stack.emulator.url,
        channelAccessToken: CHANNEL_ACCESS_TOKEN,
        workerUrl: stack.workerUrl,
        agentToken: NAS_AGENT_TOKEN,
        ...options.nas,
        onOutput: options.log,
      });
      stops.push(() => job.stop());
    }
    const target = {
      webhookUrl: stack.webhookUrl,
      channelSecret: CHANNEL_SECRET,
      emulatorUrl: stack.emulator.url,
      databaseUrl,
    };
    const rows = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
    return { stack, url: stack.workerUrl, db, rows, target, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** An operator's browser tab on the console, and what it did that no page should. */
export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /**
   * Dialogs (alert: dismissed), script errors, console errors (CSP refusals among them) and
   * stylesheets or images that failed. Each file's last test expects none.
   */
  incidents: string[];
}

/**
 * A fresh profile (no cookies, no cache) in Traditional Chinese as the operators' browsers are, at
 * desktop size, not signed in; a selector that matches nothing fails in seconds, not at the
 * test's timeout.
 */
export async function consolePage(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({ locale: 'zh-TW', viewport: VIEWPORTS.desktop });
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  const incidents: string[] = [];
  page.on('dialog', (d) => {
    incidents.push(`dialog ${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => incidents.push(`page error: ${e.message}`));
  // A page answered 401/403 on purpose is logged as a failed load: that status is the test's to
  // check. A stylesheet or image that fails is an incident (the favicon aside: Chromium asks for
  // one, the console has none).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      incidents.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    const req = r.request();
    if (r.status() >= 400 && req.resourceType() !== 'document' && new URL(r.url()).pathname !== '/favicon.ico')
      incidents.push(`${r.status()} for ${req.resourceType()} ${r.url()}`);
  });
  return { context, page, incidents };
}

/** Signs in with the admin token (a token session, as on /admin/login); throws unless it reaches the overview. */
export async function signIn(page: Page, env: Pick<ConsoleStack, 'url'>): Promise<void> {
  await page.goto(`${env.url}/admin/login`);
  await page.fill('input[name="token"]', ADMIN_TOKEN);
  await page.click('button[type="submit"]');
  if (new URL(page.url()).pathname !== '/admin') throw new Error(`sign-in did not reach the overview: ${page.url()}`);
}

/**
 * Posts each of `forms` (path and fields) with the signed-in context's session cookie, forged four
 * ways: from a foreign Origin and as a cross-site fetch (both with the page's CSRF token), without
 * the token, and with a wrong one. Returns the posts that were not refused with 403: none, where
 * the guards hold. (The caller checks that nothing changed.)
 */
export async function forgedPostsNotRefused(
  context: BrowserContext,
  env: Pick<ConsoleStack, 'url'>,
  csrf: string,
  forms: Array<[string, Record<string, string>]>,
): Promise<string[]> {
  const wrong = csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A');
  const own = { origin: env.url };
  const letThrough: string[] = [];
  for (const [action, form] of forms) {
    const forgeries: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['foreign origin', { ...form, _csrf: csrf }, { origin: 'https://evil.example' }],
      ['cross-site fetch', { ...form, _csrf: csrf }, { 'sec-fetch-site': 'cross-site' }],
      ['no token', form, own],
      ['wrong token', { ...form, _csrf: wrong }, own],
    ];
    for (const [how, fields, headers] of forgeries) {
      const res = await context.request.post(`${env.url}${action}`, { form: fields, headers, maxRedirects: 0 });
      if (res.status() !== 403) letThrough.push(`${action} ${how}: ${res.status()}`);
    }
  }
  return letThrough;
}

/** Someone whose LINE display name is markup: every screen must show it as text. */
export const EVIL_NAME = '<img src=x onerror=alert(1)>';
/** The dev seed (`npm run dev`'s people and chats) and mallory, in the ops group. */
export const CONSOLE_SEED: EmulatorSeed = (() => {
  const base = readSeedFile(DEFAULT_SEED_FILE);
  return {
    ...base,
    users: [...(base.users ?? []), { name: 'mallory', displayName: EVIL_NAME, language: 'en' }],
    groups: (base.groups ?? []).map((g) =>
      g.name === 'ops' ? { ...g, members: [...(g.members ?? []), 'mallory'] } : g,
    ),
  };
})();
export const directory = new Directory(CONSOLE_SEED);

export const PROJECTS = ['Tower B 新建工程', '設計中心'] as const;
export const ACCOUNTS = [
  { username: 'alice', displayName: 'Alice Chen', role: 'admin' },
  { username: 'dave', displayName: 'Dave Wu', role: 'member' },
] as const;
/** The texts `seedConsole` sends, chat by chat (one webhook body each); then bob's photo in ops. */
export const SEEDED_TEXTS = [
  { chat: 'group:ops', from: 'alice', text: '早安，今天三樓灌漿，請大家九點前到場' },
  { chat: 'group:ops', from: 'bob', text: '收到 @alice，泵浦車八點半到' },
  { chat: 'group:ops', from: 'mallory', text: '<script>alert(2)</script> 看看這個' },
  { chat: 'group:design', from: 'dave', text: 'Design review moved to 3pm' },
  { chat: 'room:lunch', from: 'carol', text: '中午吃什麼？' },
] as const;
export const SEEDED_PHOTOS = 1;

/**
 * What the console shows, put there the way production gets it: the chats' messages as signed
 * webhooks (the Worker looks profiles and summaries up on the LINE emulator), and the company's
 * own projects and accounts as rows. `history` (the README's pictures) adds 30 days of earlier
 * messages and a bot reply (straight into the table) for a chart worth a screenshot, and leaves
 * mallory's message out.
 */
export async function seedConsole(env: ConsoleStack, options: { photo: Uint8Array; history?: boolean }): Promise<void> {
  const chats = new Map<string, (typeof SEEDED_TEXTS)[number][]>();
  // The README's pictures show a chat as operators have it; the tests need mallory's too.
  for (const m of SEEDED_TEXTS)
    if (!options.history || m.from !== 'mallory') chats.set(m.chat, [...(chats.get(m.chat) ?? []), m]);
  // A second apart, so every chat reads in the order written (LINE's timestamps are the order).
  let at = Date.now() - 60_000;
  for (const [chat, texts] of chats) {
    const [type, name] = chat.split(':') as ['group' | 'room', string];
    const id = directory.chat(type, name).id;
    const events = texts.map((m) => {
      const userId = directory.user(m.from).userId;
      const event = build.text(
        type === 'group' ? build.inGroup(id, userId) : build.inRoom(id, userId),
        m.text,
        directory.mentionable(),
      );
      at += 1_000;
      return { ...event, timestamp: at };
    });
    const { delivery, report } = await deliver(env.target, build.webhookBody(directory.botUserId, events));
    if (delivery.status !== 200 || report?.events.some((e) => e.inbox?.status !== 'done')) {
      throw new Error(
        `seeding ${chat} failed: ${delivery.status} ${JSON.stringify(report?.events.map((e) => e.inbox))}`,
      );
    }
  }
  // A photo from the site, its bytes on the emulator (the NAS job would fetch them from there).
  const ops = directory.chat('group', 'ops').id;
  const photo = build.media(build.inGroup(ops, directory.user('bob').userId), 'image');
  const sent = await deliver(env.target, build.webhookBody(directory.botUserId, [photo]), {
    attachments: [{ messageId: (photo.message as { id: string }).id, bytes: options.photo, contentType: 'image/jpeg' }],
  });
  if (sent.report?.events[0]?.inbox?.status !== 'done')
    throw new Error(`seeding the photo failed: ${JSON.stringify(sent.report?.events[0]?.inbox)}`);
  for (const name of PROJECTS) await env.db.query('insert into projects (name) values ($1)', [name]);
  for (const a of ACCOUNTS)
    await env.db.query('insert into users (username, display_name, role) values ($1, $2, $3)', [
      a.username,
      a.displayName,
      a.role,
    ]);
  if (options.history) await seedHistory(env.db);
}

/** A real JPEG (240x180) for the seeded photo, drawn by the browser itself: a building on a sky. */
export async function sitePhoto(browser: Browser): Promise<Buffer> {
  const page = await browser.newPage({ viewport: { width: 240, height: 180 } });
  try {
    await page.setContent(
      '<body style="margin:0;height:180px;background:linear-gradient(#8fb3d9,#e8dcc0)">' +
        '<div style="position:absolute;left:40px;top:70px;width:160px;height:110px;background:#6b6b6b"></div>' +
        '<div style="position:absolute;left:75px;top:40px;width:90px;height:30px;background:#8a8a8a"></div></body>',
    );
    return await page.screenshot({ type: 'jpeg', quality: 70 });
  } finally {
    await page.close();
  }
}

/** A few messages a day for the last 30 days in the design group, and an answer from the bot in ops. */
async function seedHistory(db: pg.Pool): Promise<void> {
  const ops = directory.chat('group', 'ops').id;
  await db.query(
    `insert into line_messages (message_id, line_user_id, line_group_id, source_type, message_type, content, sent_at)
     select 'hist-' || d || '-' || n, u.id, g.id, 'group', 'text', '設計進度 #' || n, now() - make_interval(days => d, hours => n)
     from generate_series(1, 29) d, generate_series(1, 3 + (d * 7) % 9) n,
          (select id from line_groups where line_group_id = $1) g,
          (select id from line_users where line_user_id = $2) u`,
    [directory.chat('group', 'design').id, directory.user('dave').userId],
  );
  await db.query(
    `insert into line_messages (message_id, line_user_id, line_group_id, source_type, message_type, content, is_from_bot, sent_at)
     select 'bot-reply-1', null, g.id, 'group', 'text', '今日進度：三樓灌漿 9:00 開始，泵浦車 8:30 到場。', true, now()
     from line_groups g where g.line_group_id = $1`,
    [ops],
  );
}
