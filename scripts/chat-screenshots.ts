/**
 * The README's chat pictures (`npm run screenshots`, after the console's): real flows against the
 * local stack as `npm run dev` runs it (wrangler dev with its Workflows and R2, the LINE and Claude
 * emulators, the nas-sync job on the sample NAS, the demo data), on a fresh database in the local
 * Postgres. Every message in a picture is one the bot really sent, as the LINE emulator recorded it,
 * drawn by scripts/line-emulator/render.ts and photographed in Chromium at a phone's size:
 *
 * - chat-welcome.png: the bot joins the ops group and greets it;
 * - chat-help.png: `/說明` in alice's 1:1 chat, with its quick replies;
 * - chat-find.png: `/find 平面圖` in the ops group, the Flex list, a tap on 傳送, the file;
 * - chat-ai-offer.png: a question to the AI that offers a file (Claude's answer scripted on the emulator);
 * - chat-late-answer.png: an answer later than the reply window: the 取得回答 button, a tap, the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { createDatabase, dropDatabase } from './lib/database.ts';
import { formatTranscriptEntry, readSeedFile, type EmulatorSeed } from './line-emulator/index.ts';
import { renderChatPage, type ChatLine } from './line-emulator/render.ts';
import { build, deliver, Directory, type Source, type Target } from './line/index.ts';
import { ensureDemoData } from './local/demo.ts';
import { DEV_VARS_EXAMPLE, LOCAL_ANTHROPIC_API_KEY, readDevVars } from './local/dev-vars.ts';
import { DEFAULT_SEED_FILE } from './local/paths.ts';
import { ensureSampleNas } from './local/sample-nas.ts';
import { startStack, type Stack } from './local/stack.ts';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PHONE = { width: 390, height: 844 };
/** The bot as its chats name it; LINE shows the official account's name over its bubbles. */
const BOT_NAME = '工務小幫手';
const TIME = '上午 9:41';
/**
 * src/ai/late.ts' LATE_NOTICE_AFTER_MS: the 取得回答 notice goes this long after the question.
 * (Not imported: the Worker's modules resolve as a bundler does, these scripts as Node does.)
 */
const LATE_NOTICE_AFTER_MS = 40_000;

/** The dev seed with alice reading Traditional Chinese, as the company's people do. */
const SEED: EmulatorSeed = (() => {
  const base = readSeedFile(DEFAULT_SEED_FILE);
  return { ...base, users: (base.users ?? []).map((u) => (u.name === 'alice' ? { ...u, language: 'zh-TW' } : u)) };
})();
const directory = new Directory(SEED);

type Json = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The messages of the bot's successful replies and pushes after the `from`-th recorded request. */
function sentSince(stack: Stack, from: number): unknown[] {
  return stack.emulator
    .requests()
    .slice(from)
    .filter((r) => /^\/v2\/bot\/message\/(reply|push)$/.test(r.path) && r.status === 200)
    .flatMap((r) => ((r.body as { messages?: unknown[] } | null)?.messages ?? []) as unknown[]);
}

/** Waits for at least `count` messages from the bot, then until it has been quiet for a moment. */
async function botMessages(stack: Stack, from: number, count: number, timeoutMs = 60_000): Promise<unknown[]> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  for (;;) {
    const now = sentSince(stack, from);
    if (now.length >= count && now.length === seen) return now;
    if (Date.now() > deadline) throw new Error(`waited for ${count} bot message(s), got ${now.length}`);
    seen = now.length >= count ? now.length : -1;
    await sleep(1_500);
  }
}

/** The n-th postback button (1-based) of a message: its data, and what LINE shows as the tapper's message. */
function postbackButton(message: unknown, n: number): { data: string; displayText?: string } {
  const found: Json[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const o = node as Json;
    if (o.type === 'postback' && typeof o.data === 'string') found.push(o);
    for (const [k, v] of Object.entries(o)) if (k !== 'quickReply') walk(v);
  };
  walk(message);
  const b = found[n - 1];
  if (!b) throw new Error(`no postback button ${n} in ${JSON.stringify(message).slice(0, 200)}`);
  return { data: b.data as string, displayText: typeof b.displayText === 'string' ? b.displayText : undefined };
}

/** One chat as it builds up: what the reader did, and what the bot answered, in order. */
class Conversation {
  readonly lines: ChatLine[] = [];
  constructor(
    private readonly stack: Stack,
    private readonly target: Target,
    readonly source: Source,
  ) {}

  async send(event: ReturnType<typeof build.text>, options: { expect?: number; me?: string; timeoutMs?: number } = {}) {
    const from = this.stack.emulator.requests().length;
    if (options.me) this.lines.push({ from: 'me', text: options.me });
    const { delivery } = await deliver(this.target, build.webhookBody(directory.botUserId, [event]), { wait: false });
    if (delivery.status !== 200) throw new Error(`the webhook answered ${delivery.status}`);
    const messages = await botMessages(this.stack, from, options.expect ?? 1, options.timeoutMs);
    for (const message of messages) this.lines.push({ from: 'bot', message });
    return messages;
  }

  text(text: string, options: { expect?: number; timeoutMs?: number } = {}) {
    return this.send(build.text(this.source, text, directory.mentionable()), { ...options, me: text });
  }

  /** A tap on a postback button: LINE shows its displayText as the tapper's message. */
  tap(button: { data: string; displayText?: string }, options: { expect?: number; timeoutMs?: number } = {}) {
    return this.send(build.postback(this.source, button.data), { ...options, me: button.displayText });
  }
}

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
    const v = await what();
    if (v !== undefined) return v;
  }
  throw new Error('timed out');
}

/** Runs the flows and writes docs/chat-*.png; returns [name, file] per picture. */
export async function takeChatScreenshots(
  browser: Browser,
  docsDir: string,
  log: (line: string) => void = () => {},
): Promise<Array<[string, string]>> {
  const dbName = `linebot_chatshots_${Date.now()}_${process.pid}`;
  const databaseUrl = await createDatabase(ADMIN_URL, dbName);
  const tmp = mkdtempSync(join(tmpdir(), 'linebot-chatshots-'));
  // The example's secrets: a developer's own .dev.vars changes nothing here.
  const secrets = readDevVars(DEV_VARS_EXAMPLE);
  let stack: Stack | undefined;
  try {
    const nas = await ensureSampleNas(join(tmp, 'nas'));
    stack = await startStack({
      worker: 'wrangler-dev',
      ports: { worker: 0, emulator: 0, proxy: 0, claude: 0 },
      databaseUrl,
      migrate: true,
      seed: SEED,
      secrets,
      claude: { use: 'emulator', apiKey: LOCAL_ANTHROPIC_API_KEY },
      persistTo: join(tmp, 'wrangler-state'),
      nas: {
        shares: nas.shares,
        mediaRoot: nas.mediaRoot,
        agentToken: secrets.NAS_AGENT_TOKEN ?? 'local-dev-nas-agent-token',
        channelAccessToken: secrets.LINE_CHANNEL_ACCESS_TOKEN ?? 'local-dev-channel-access-token',
        onOutput: (line) => log(`nas-sync │ ${line}`),
      },
      transcript: (entry) => log(formatTranscriptEntry(entry)),
      onWorkerOutput: (line) => log(`worker │ ${line}`),
      log,
    });
    await ensureDemoData(stack.databaseUrl, SEED);
    const target: Target = {
      webhookUrl: stack.webhookUrl,
      channelSecret: secrets.LINE_CHANNEL_SECRET!,
      emulatorUrl: stack.emulator.url,
      databaseUrl: stack.databaseUrl,
    };
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      // The nas-sync job indexes the sample NAS on its first pass.
      const planId = await until(async () => {
        const { rows } = await db.query<{ id: string }>(
          "select id from nas_files where name = '平面圖-1F.pdf' and exists (select 1 from nas_files where name = '平面圖-2F.pdf')",
        );
        return rows[0]?.id;
      });

      const alice = directory.user('alice').userId;
      const ops = directory.chat('group', 'ops');
      const inOps = build.inGroup(ops.id, alice);
      const withAlice = build.inUser(alice);
      const pages: Array<{ name: string; title: string; lines: ChatLine[] }> = [];

      // The bot joins the ops group: its welcome.
      const welcome = new Conversation(stack, target, build.inGroup(ops.id));
      welcome.lines.push({ from: 'notice', text: `Alice Chen 邀請 ${BOT_NAME} 加入群組` });
      await welcome.send(build.join(build.inGroup(ops.id)));
      pages.push({ name: 'welcome', title: ops.name, lines: welcome.lines });

      // /說明 in a 1:1 chat: the commands, the common ones as quick replies.
      const help = new Conversation(stack, target, withAlice);
      await help.text('/說明');
      pages.push({ name: 'help', title: BOT_NAME, lines: help.lines });

      // /find in the project's group: the Flex list; a tap on the first 傳送: the file's link (a PDF).
      const find = new Conversation(stack, target, inOps);
      const [list] = await find.text('/find 平面圖');
      await find.tap(postbackButton(list, 1), { timeoutMs: 90_000 });
      pages.push({ name: 'find', title: ops.name, lines: find.lines });

      // The AI offers a file: Claude (scripted on the emulator) calls send_nas_file, then answers.
      const question = '可以給我 1F 的平面圖嗎？';
      stack.claude!.script(
        { match: question, content: [{ type: 'tool_use', name: 'send_nas_file', input: { fileId: planId } }] },
        { match: question, text: '好的，Tower B 大樓 1F 平面圖在下方，點「傳送」就會把檔案傳到這個聊天室。' },
      );
      const offer = new Conversation(stack, target, withAlice);
      await offer.text(question, { expect: 2 });
      pages.push({ name: 'ai-offer', title: BOT_NAME, lines: offer.lines });

      // Claude slower than the reply window: the 取得回答 notice; once the answer is ready, a tap brings it.
      const slow = '下週一的澆置需要準備哪些檢查？';
      stack.claude!.delay({ ms: 8_000, match: slow, times: 1 });
      stack.claude!.script({
        match: slow,
        text: '澆置前請確認：\n1. 3F 鋼筋檢查已完成並簽認\n2. 模板支撐與預留孔位\n3. 泵浦車與混凝土車的進場時間',
      });
      const late = new Conversation(stack, target, withAlice);
      // Dated so that the notice is due 2 s after the question arrives (as test/ai-late.test.ts does).
      const asked = { ...build.text(withAlice, slow), timestamp: Date.now() - (LATE_NOTICE_AFTER_MS - 2_000) };
      const [notice] = await late.send(asked, { me: slow });
      await until(async () => {
        const { rows } = await db.query(
          "select 1 from line_ai_answers where question like $1 and status = 'answered'",
          [`%${slow}%`],
        );
        return rows[0];
      });
      await late.tap(postbackButton(notice, 1));
      pages.push({ name: 'late-answer', title: BOT_NAME, lines: late.lines });

      const shots: Array<[string, string]> = [];
      const context = await browser.newContext({ locale: 'zh-TW', viewport: PHONE, deviceScaleFactor: 2 });
      try {
        const page = await context.newPage();
        for (const p of pages) {
          await page.setContent(renderChatPage({ title: p.title, botName: BOT_NAME, lines: p.lines, time: TIME }), {
            waitUntil: 'load',
          });
          const file = join(docsDir, `chat-${p.name}.png`);
          // A palette PNG: a third of the bytes of Chromium's, no difference a reader sees.
          await sharp(await page.screenshot())
            .png({ palette: true, quality: 90, effort: 10 })
            .toFile(file);
          shots.push([p.name, file]);
        }
      } finally {
        await context.close();
      }
      return shots;
    } finally {
      await db.end();
    }
  } finally {
    await stack?.stop();
    await dropDatabase(ADMIN_URL, dbName);
    rmSync(tmp, { recursive: true, force: true });
  }
}
