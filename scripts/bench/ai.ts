/**
 * The AI scenario: bound users ask 1:1 questions, the Claude emulator answers each after a set
 * delay, and per answer we measure the bot's own time before the Claude request (its arrival at
 * the emulator minus the webhook's send time), its time after Claude's answer (the reply or push
 * arriving at the LINE emulator minus the emulator's `answeredAt`), and how it was sent: reply
 * while the reply token is good (50 s margin); after that, by push (AI_LATE_ANSWER=push) or, with
 * `button`, by reply to a tap on the "still working" notice's 取得回答 button. The scenario taps like
 * a user: it reads the button's postback data from what the LINE emulator recorded of the bot's
 * replies and posts a signed postback webhook, 5 s after the notice and every 10 s while the bot
 * says the answer is not ready yet.
 *
 * The answers run as `AI_ANSWER` Workflows. The stack's Miniflare Worker has no Workflow binding
 * (scripts/local/worker.ts passes none), so this scenario serves the same deploy bundle from a
 * Miniflare of its own, with the `[[workflows]]` of wrangler.toml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { lastUserText } from '../claude-emulator/index.ts';
import * as build from '../line/events.ts';
import { PROJECT_ROOT } from '../local/paths.ts';
import type { Stack } from '../local/stack.ts';
import { readWorkflows } from '../local/worker.ts';
import { createHmac } from 'node:crypto';

export const BENCH_ANTHROPIC_KEY = 'bench-anthropic-key';
const WEBHOOK_PATH = '/api/linebot/webhook';

export interface AiDelayResult {
  claudeDelayMs: number;
  questions: number;
  /** Answers finished (status answered) within the wait. */
  answered: number;
  /** Webhook sent -> Claude request arrived, ms. */
  beforeClaudeMs: { p50: number; p95: number };
  /** Claude answered -> reply/push arrived at the LINE emulator, ms (the first message of each answer). */
  afterClaudeMs: { p50: number; p95: number };
  /** The bot's own time per answer: before Claude plus after Claude, ms (the issue's goal: p95 at most 300 through PgBouncer). */
  ownMs: { p50: number; p95: number };
  /** Webhook sent -> answer at the LINE emulator, ms. */
  totalMs: { p50: number; p95: number };
  /** Answers sent by reply to the question (within its window). */
  byReply: number;
  /** Answers sent by reply to a tap on the 取得回答 button (AI_LATE_ANSWER=button). */
  byTap: number;
  byPush: number;
  /** Share sent by reply (to the question or to a tap), 0..1. */
  replyShare: number;
  /** Share sent by push, 0..1 (the issue's goal with `button`: 0). */
  pushShare: number;
  /** "Still working" notices sent, and taps the bench made. */
  notices: number;
  taps: number;
  /** Answers sent more than once (reply and push, or two sends) or never. */
  sentTwice: number;
  notSent: number;
  /** line_ai_answers.sent_by agrees with what the LINE emulator saw. */
  sentByAgrees: boolean;
}

export interface AiResult {
  /** The database path the Worker took (direct, or pooled through PgBouncer). */
  path: 'direct' | 'pooled';
  /** AI_LATE_ANSWER the Worker ran with. */
  lateAnswer: 'button' | 'push';
  questionsPerDelay: number;
  /** Wall time of the scenario's asking and answering (binding excluded), s. */
  wallSec: number;
  delays: AiDelayResult[];
  claudeRequests: number;
  lineViolations: number;
  claudeViolations: number;
  errors: number;
}

export interface AiOptions {
  path: AiResult['path'];
  lateAnswer: AiResult['lateAnswer'];
  delaysMs: number[];
  questionsPerDelay: number;
  secret: string;
  adminToken: string;
  secrets: Record<string, string>;
  bundleDir: string;
  say: (line: string) => void;
}

interface AiWorker {
  url: string;
  stop(): Promise<void>;
}

/** The stack's deploy bundle on a Miniflare that declares wrangler.toml's Workflows. */
async function startAiWorker(stack: Stack, options: AiOptions): Promise<AiWorker> {
  const toml = readFileSync(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!compatibilityDate) throw new Error('wrangler.toml has no compatibility_date');
  const workflows = readWorkflows();
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = (await import(
    'miniflare'
  )) as typeof import('miniflare');
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: join(options.bundleDir, 'index.js'),
      modulesRoot: options.bundleDir,
      compatibilityDate,
      compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [],
      bindings: {
        ...options.secrets,
        ANTHROPIC_API_KEY: BENCH_ANTHROPIC_KEY,
        ...stack.workerVars,
        AI_LATE_ANSWER: options.lateAnswer,
      },
      workflows,
      host: '127.0.0.1',
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      handleStructuredLogs: () => {},
    }),
  );
  const ready = await mf.ready;
  return { url: ready.origin.replace(/\/$/, ''), stop: () => mf.dispose() };
}

const at = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const p50p95 = (xs: number[]) => ({ p50: at(xs, 0.5), p95: at(xs, 0.95) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex32 = (prefix: string, i: number) => prefix + i.toString(16).padStart(32, '0');

/** The 取得回答 button's postback data in a recorded reply (the notice, or "not ready yet"), if any. */
const answerButtonOf = (r: { body: unknown }) => /"data":"(answer:[^"]+)"/.exec(JSON.stringify(r.body))?.[1];
/** A user taps the button this long after the bot showed it. */
const FIRST_TAP_MS = 5_000;
const NEXT_TAP_MS = 10_000;

function signed(secret: string, event: build.WebhookEvent): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(build.webhookBody(hex32('U', 0xb07), [event]));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-line-signature': createHmac('sha256', secret).update(body).digest('base64'),
    },
  };
}

export async function runAiScenario(stack: Stack, db: pg.Client, options: AiOptions): Promise<AiResult> {
  const claude = stack.claude;
  if (!claude) throw new Error('the AI scenario needs the stack started with the Claude emulator');
  const worker = await startAiWorker(stack, options);
  try {
    const webhook = worker.url + WEBHOOK_PATH;
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${worker.url}/api/linebot/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    let errors = 0;
    const post = async (event: build.WebhookEvent) => {
      const res = await fetch(webhook, { method: 'POST', ...signed(options.secret, event) });
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
    };

    // One bound user per question: accounts and binding codes through the admin API, bound by sending the code.
    const asks = options.delaysMs.flatMap((delayMs, d) =>
      Array.from({ length: options.questionsPerDelay }, (_, i) => ({
        delayMs,
        userId: hex32('U', 0xa1000 + d * 100 + i),
        tag: `bench-ai-d${delayMs}-q${i}`,
      })),
    );
    const stamp = Date.now().toString(36);
    options.say(`    binding ${asks.length} users ...`);
    await Promise.all(
      asks.map(async (a, k) => {
        const user = await admin('POST', '/users', { username: `bench.ai.${stamp}.${k}`, role: 'member' });
        const { code } = (await admin('POST', `/users/${user.id as number}/binding-code`)) as { code: string };
        await post(build.text(build.inUser(a.userId), code));
      }),
    );
    const bound = async () =>
      Number(
        (
          await db.query(
            `select count(*)::int as n from line_webhook_events where status = 'processing' or status = 'pending'`,
          )
        ).rows[0]?.n ?? 0,
      ) === 0;
    for (const until = Date.now() + 30_000; Date.now() < until && !(await bound()); ) await sleep(100);
    await sleep(300);

    for (const d of options.delaysMs) claude.delay({ ms: d, match: `bench-ai-d${d}-` });
    const since = Date.now();
    const events = asks.map((a) => ({
      ...a,
      event: build.text(build.inUser(a.userId), `${a.tag}: 明天混凝土幾點澆置？`),
      sentAt: 0,
      /** Reply tokens of this asker's taps on the 取得回答 button. */
      taps: [] as string[],
    }));
    options.say(
      `    ${events.length} questions at Claude delays ${options.delaysMs.map((d) => `${d / 1000} s`).join(', ')} (${options.questionsPerDelay} each, all at once) ...`,
    );
    await Promise.all(
      events.map(async (e) => {
        e.sentAt = Date.now();
        await post(e.event);
      }),
    );

    // Finished: answered and sent (an answer waiting for a tap has no sent_by yet).
    const finished = async () =>
      (
        await db.query(
          `select count(*)::int as n from line_ai_answers where status in ('answered', 'failed') and sent_by is not null`,
        )
      ).rows[0]?.n as number;
    // Until every answer is finished (or the longest delay plus a minute has passed).
    const deadline = Date.now() + Math.max(...options.delaysMs) + 60_000;
    const repliesOf = (e: (typeof events)[number]) =>
      stack.emulator
        .requests()
        .filter((r) => {
          if (r.at < since || r.path !== '/v2/bot/message/reply' || r.status !== 200) return false;
          const token = (r.body as { replyToken?: string } | null)?.replyToken ?? '';
          return token === e.event.replyToken || e.taps.includes(token);
        })
        .sort((a, b) => a.at - b.at);
    // The user's side: tap the button the bot's latest reply shows, until a reply without one (the answer) came.
    const tapping = (async () => {
      const lastTap = new Map<string, number>();
      while (Date.now() < deadline) {
        let waiting = 0;
        for (const e of events) {
          const latest = repliesOf(e).at(-1);
          const data = latest && answerButtonOf(latest);
          if (!data) continue;
          waiting++;
          const wait = lastTap.has(e.tag) ? NEXT_TAP_MS : FIRST_TAP_MS;
          if (Date.now() - Math.max(latest.at, lastTap.get(e.tag) ?? 0) < wait) continue;
          lastTap.set(e.tag, Date.now());
          const tap = build.postback(build.inUser(e.userId), data);
          e.taps.push(tap.replyToken as string);
          await post(tap);
        }
        if (waiting === 0 && (await finished()) >= events.length) return;
        await sleep(250);
      }
    })();
    while (Date.now() < deadline && (await finished()) < events.length) await sleep(200);
    await tapping;
    await sleep(500); // a late second send would show up here
    const wallSec = (Date.now() - since) / 1000;

    const rows = (
      await db.query(
        `select u.line_user_id as "userId", a.status, a.sent_by as "sentBy" from line_ai_answers a join line_users u on u.id = a.line_user_id where a.line_group_id is null`,
      )
    ).rows as Array<{ userId: string; status: string; sentBy: string | null }>;
    const claudeRequests = claude.requests().filter((r) => r.at >= since);
    const lineSends = stack.emulator
      .requests()
      .filter(
        (r) =>
          r.at >= since &&
          (r.path === '/v2/bot/message/reply' || r.path === '/v2/bot/message/push') &&
          r.status === 200,
      );

    const delays: AiDelayResult[] = options.delaysMs.map((delayMs) => {
      const mine = events.filter((e) => e.delayMs === delayMs);
      const before: number[] = [];
      const after: number[] = [];
      const total: number[] = [];
      const own: number[] = [];
      let byReply = 0;
      let byTap = 0;
      let byPush = 0;
      let notices = 0;
      let taps = 0;
      let sentTwice = 0;
      let notSent = 0;
      let agrees = true;
      let answered = 0;
      for (const e of mine) {
        const asked = claudeRequests.filter((r) =>
          lastUserText((r.body as { messages?: unknown } | null)?.messages).includes(e.tag),
        );
        const first = asked.sort((a, b) => a.at - b.at)[0];
        const last = asked.filter((r) => r.answeredAt !== null).sort((a, b) => b.answeredAt! - a.answeredAt!)[0];
        const mineAll = lineSends
          .filter((r) => {
            const body = r.body as { replyToken?: string; to?: string } | null;
            return r.path.endsWith('/reply')
              ? body?.replyToken === e.event.replyToken || e.taps.includes(body?.replyToken ?? '')
              : body?.to === e.userId;
          })
          .sort((a, b) => a.at - b.at);
        // The notice and "not ready yet" carry the button; the answer's own messages do not.
        const sends = mineAll.filter((r) => !answerButtonOf(r));
        notices += mineAll.filter(
          (r) => answerButtonOf(r) && (r.body as { replyToken?: string }).replyToken === e.event.replyToken,
        ).length;
        taps += e.taps.length;
        const tapped = (r: (typeof sends)[number]) =>
          e.taps.includes((r.body as { replyToken?: string }).replyToken ?? '');
        if (first) before.push(first.at - e.sentAt);
        // A tap's answer waited for the user, not for the bot: not the bot's own time.
        const own0 = sends[0] && !tapped(sends[0]) ? sends[0] : undefined;
        if (own0 && last) after.push(own0.at - last.answeredAt!);
        if (first && own0 && last) own.push(first.at - e.sentAt + (own0.at - last.answeredAt!));
        if (sends[0]) total.push(sends[0].at - e.sentAt);
        if (sends.length === 0) notSent++;
        else if (sends.length > 1) sentTwice++;
        const how = sends[0] ? (sends[0].path.endsWith('/reply') ? 'reply' : 'push') : null;
        if (how === 'reply' && tapped(sends[0]!)) byTap++;
        else if (how === 'reply') byReply++;
        if (how === 'push') byPush++;
        const row = rows.find((r) => r.userId === e.userId);
        if (row?.status === 'answered') answered++;
        if ((row?.sentBy ?? null) !== how) agrees = false;
      }
      return {
        claudeDelayMs: delayMs,
        questions: mine.length,
        answered,
        beforeClaudeMs: p50p95(before),
        afterClaudeMs: p50p95(after),
        ownMs: p50p95(own),
        totalMs: p50p95(total),
        byReply,
        byTap,
        byPush,
        replyShare: mine.length ? (byReply + byTap) / mine.length : 0,
        pushShare: mine.length ? byPush / mine.length : 0,
        notices,
        taps,
        sentTwice,
        notSent,
        sentByAgrees: agrees,
      };
    });
    return {
      path: options.path,
      lateAnswer: options.lateAnswer,
      questionsPerDelay: options.questionsPerDelay,
      wallSec,
      delays,
      claudeRequests: claudeRequests.length,
      lineViolations: stack.emulator.violations().length,
      claudeViolations: claude.violations().length,
      errors,
    };
  } finally {
    await worker.stop().catch(() => {});
  }
}
