/**
 * AI answers end to end: a LINE user asks through the webhook, the answer's Workflow asks the
 * Claude emulator (tools and all) and answers through the LINE emulator, exactly once.
 */
import { env, introspectWorkflowInstance } from 'cloudflare:test';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { restartStalledAnswers } from '../src/ai/backstop';
import { instanceIdFor } from '../src/ai/answers';
import { lineAiAnswers, lineGroups, lineMessages, lineUsers } from '@linebot-edge/shared/schema';
import { createLogger } from '../src/lib/log';
import { createAccount, issueCode } from './support/admin';
import { claudeFault, claudeRequests, claudeScript, claudeViolations, seedLineContent } from './support/claude';
import { withDb } from './support/db';
import { addFault, lineRequests, violations, type RecordedRequest } from './support/emulator';
import { messageEvent, newId, postEvents, textEvent, type SourceSpec, type TestMessageEvent } from './support/line';

const started = Date.now();

async function boundUser(name = 'AI Asker') {
  const account = await createAccount('member', name);
  const { code } = await issueCode(account.id);
  const userId = newId.user();
  expect((await postEvents([textEvent({ userId }, code)])).status).toBe(200);
  return userId;
}

async function groupWithAi(userId: string, allow = true) {
  const groupId = newId.group();
  expect((await postEvents([textEvent({ userId, groupId }, 'hello all')])).status).toBe(200);
  await withDb((db) =>
    db.update(lineGroups).set({ allowAiResponse: allow }).where(eq(lineGroups.lineGroupId, groupId)),
  );
  return groupId;
}

const answerOf = async (webhookEventId: string) =>
  (await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, webhookEventId))))[0];

/** Posts a question event and waits for its answer's Workflow to finish. */
async function askEvent(ev: TestMessageEvent, options: { env?: Partial<Env> } = {}) {
  await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
  expect((await postEvents([ev], options)).status).toBe(200);
  await instance.waitForStatus('complete');
  return { ev, answer: await answerOf(ev.webhookEventId) };
}
const ask = (src: SourceSpec, text: string) => askEvent(textEvent(src, text));

const repliesTo = async (replyToken: string) =>
  (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken: string }).replyToken === replyToken,
  );
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
const messagesOf = (r: RecordedRequest) => (r.body as { messages: Array<Record<string, any>> }).messages;

describe('who is answered (the policy, end to end)', () => {
  it('a bound user in a 1:1 chat: by reply, quoting the question; a bot row; the question ai_processed; tokens logged', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const { ev, answer } = await ask({ userId }, `明天的會議幾點？ ${marker}`);
    expect(answer).toMatchObject({
      status: 'answered',
      outcome: 'answered',
      sentBy: 'reply',
      model: 'claude-sonnet-5-5',
      error: null,
    });
    expect(answer!.inputTokens).toBeGreaterThan(0);
    expect(answer!.outputTokens).toBeGreaterThan(0);
    expect(answer!.requestIds).toHaveLength(1);
    expect(answer!.latencyMs).toBeGreaterThanOrEqual(0);

    const [reply] = await repliesTo(ev.replyToken);
    const [first] = messagesOf(reply!);
    expect(first!.text).toContain(marker);
    expect(first!.quoteToken).toBe(ev.message.quoteToken);
    expect(
      await lineRequests('/v2/bot/chat/loading/start').then((rs) =>
        rs.filter((r) => (r.body as { chatId: string }).chatId === userId),
      ),
    ).toHaveLength(1);

    const rows = await withDb((db) => db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)));
    expect(rows[0]!.aiProcessed).toBe(true);
    const botRows = await withDb((db) =>
      db
        .select()
        .from(lineMessages)
        .where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.content, first!.text))),
    );
    expect(botRows).toHaveLength(1);
    // The model saw a system prompt marked for caching, and the tools.
    const [req] = await claudeRequests(marker);
    expect(JSON.stringify(req!.body.system)).toContain('cache_control');
    expect(req!.body.tools!.map((t) => t.name)).toEqual(expect.arrayContaining(['search_chat_history', 'get_project']));
  });

  it('in a group with AI on: a mention of the bot (isSelf) is answered with a textV2 mentioning the asker; the mention is cut', async () => {
    const userId = await boundUser();
    const groupId = await groupWithAi(userId);
    const marker = newId.event();
    const text = `@小幫手 報價單進度？ ${marker}`;
    const ev = messageEvent(
      { userId, groupId },
      { type: 'text', text, mention: { mentionees: [{ index: 0, length: 4, isSelf: true, type: 'user' }] } },
    );
    const { answer } = await askEvent(ev);
    expect(answer).toMatchObject({ status: 'answered', question: `報價單進度？ ${marker}` });
    const [reply] = await repliesTo(ev.replyToken);
    const [first] = messagesOf(reply!);
    expect(first).toMatchObject({
      type: 'textV2',
      quoteToken: ev.message.quoteToken,
      substitution: { asker: { type: 'mention', mentionee: { type: 'user', userId } } },
    });
    expect(first!.text.startsWith('{asker} ')).toBe(true);
  });

  it('in a group: `@name` from BOT_NAMES without mention metadata, and a quote of a bot message, address the bot', async () => {
    const userId = await boundUser();
    const groupId = await groupWithAi(userId);
    const m1 = newId.event();
    const first = await ask({ userId, groupId }, `@helper 幫我看一下 ${m1}`);
    expect(first.answer).toMatchObject({ status: 'answered', question: `幫我看一下 ${m1}` });
    const botMessageId = (
      (await repliesTo(first.ev.replyToken))[0]!.response as { sentMessages: Array<{ id: string }> }
    ).sentMessages[0]!.id;
    const m2 = newId.event();
    const quoting = messageEvent(
      { userId, groupId },
      { type: 'text', text: `那明天呢 ${m2}`, quotedMessageId: botMessageId },
    );
    const second = await askEvent(quoting);
    expect(second.answer).toMatchObject({ status: 'answered' });
    // The history of the second question holds the first exchange, as user and assistant turns.
    const [req] = await claudeRequests(m2);
    expect(req!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('no Claude call for unaddressed group chatter, a group with AI off, or an unbound user; all stored', async () => {
    const userId = await boundUser();
    const on = await groupWithAi(userId, true);
    const off = await groupWithAi(userId, false);
    const marker = newId.event();
    const chatter = textEvent({ userId, groupId: on }, `午餐吃什麼 ${marker}`);
    const aiOff = messageEvent({ userId, groupId: off }, { type: 'text', text: `@小幫手 hi ${marker}` });
    const stranger = newId.user();
    const unboundInGroup = textEvent({ userId: stranger, groupId: on }, `@小幫手 hi ${marker}`);
    const unbound1to1 = textEvent({ userId: newId.user() }, `hello ${marker}`);
    expect((await postEvents([chatter, aiOff, unboundInGroup, unbound1to1])).status).toBe(200);
    for (const ev of [chatter, aiOff, unboundInGroup, unbound1to1]) {
      expect(await answerOf(ev.webhookEventId)).toBeUndefined();
      expect(
        await withDb((db) =>
          db.select({ id: lineMessages.id }).from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)),
        ),
      ).toHaveLength(1);
    }
    expect(await claudeRequests(marker)).toHaveLength(0);
  });
});

describe('context and tools', () => {
  it('search_chat_history runs for this chat only: the tool result reaches the model, another chat’s message never does', async () => {
    const userId = await boundUser();
    const groupId = await groupWithAi(userId);
    const other = await groupWithAi(userId);
    const word = `報價${newId.event().slice(-6)}`;
    expect(
      (
        await postEvents([
          textEvent({ userId, groupId }, `${word} 第一版已寄出`),
          textEvent({ userId, groupId: other }, `${word} 另一個群組的機密`),
        ])
      ).status,
    ).toBe(200);
    const { answer } = await ask({ userId, groupId }, `@小幫手 搜尋 ${word}`);
    expect(answer).toMatchObject({ status: 'answered', toolCalls: [{ name: 'search_chat_history', ok: true }] });
    const requests = await claudeRequests(word);
    const withResult = requests.find((r) => JSON.stringify(r.body.messages).includes('tool_result'));
    expect(JSON.stringify(withResult!.body.messages)).toContain('第一版已寄出');
    for (const r of requests) expect(JSON.stringify(r.body.messages)).not.toContain('另一個群組的機密');
    expect(answer!.requestIds).toHaveLength(2);
  });

  it('/reset starts the history anew for that chat only', async () => {
    const userId = await boundUser();
    const m1 = newId.event();
    await ask({ userId }, `第一個問題 ${m1}`);
    const reset = textEvent({ userId }, '/reset');
    expect((await postEvents([reset])).status).toBe(200);
    expect(messagesOf((await repliesTo(reset.replyToken))[0]!)[0]!.text).toContain('重新開始');
    const m2 = newId.event();
    await ask({ userId }, `第二個問題 ${m2}`);
    const [req] = await claudeRequests(m2);
    expect(JSON.stringify(req!.body.messages)).not.toContain(m1);
    expect(req!.body.messages).toHaveLength(1);
  });

  it('an image the asker sent just before goes with the question as an image block', async () => {
    const userId = await boundUser();
    const image = messageEvent({ userId }, { type: 'image', contentProvider: { type: 'line' } });
    // A 1x1 PNG.
    const png = Uint8Array.from(
      atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='),
      (c) => c.charCodeAt(0),
    );
    await seedLineContent(image.message.id, png, 'image/png');
    // An image alone is not a question in a 1:1 chat; it is stored (and its file row made).
    expect((await postEvents([image])).status).toBe(200);
    const marker = newId.event();
    await ask({ userId }, `這張圖是什麼？ ${marker}`);
    const [req] = await claudeRequests(marker);
    const last = req!.body.messages.at(-1)!.content as Array<{ type: string; source?: { media_type: string } }>;
    expect(last[0]).toMatchObject({ type: 'image', source: { media_type: 'image/png' } });
  });
});

describe('exactly once', () => {
  it('a redelivered question makes no second Claude call and no second answer', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const { ev } = await ask({ userId }, `只回答一次 ${marker}`);
    expect((await postEvents([{ ...ev, deliveryContext: { isRedelivery: true } }])).status).toBe(200);
    expect(await claudeRequests(marker)).toHaveLength(1);
    expect(await repliesTo(ev.replyToken)).toHaveLength(1);
    expect(
      await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, ev.webhookEventId))),
    ).toHaveLength(1);
  });

  it('a question processed after its reply token expired is answered by push, with a retry key from the event', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const ev = { ...textEvent({ userId }, `晚到的問題 ${marker}`), timestamp: Date.now() - 70_000 };
    const { answer } = await askEvent(ev);
    expect(answer).toMatchObject({ sentBy: 'push', status: 'answered' });
    const pushes = (await pushesTo(userId)).filter((p) => JSON.stringify(p.body).includes(marker));
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await repliesTo(ev.replyToken)).toHaveLength(0);
  });

  it('a push LINE refuses for the quota (429): the answer finishes unsent, the refusal in its error, no retry storm', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    // The client tries a push three times (two retries on 429).
    await addFault({
      path: '/v2/bot/message/push',
      bodyContains: userId,
      status: 429,
      body: { message: 'You have reached your monthly limit.' },
      times: 3,
    });
    const ev = { ...textEvent({ userId }, `額度用完時 ${marker}`), timestamp: Date.now() - 70_000 };
    const { answer } = await askEvent(ev);
    expect(answer).toMatchObject({ status: 'answered', sentBy: null });
    expect(answer!.error).toContain('429');
    expect((await pushesTo(userId)).map((p) => p.status)).toEqual([429, 429, 429]);
  });

  it('a restarted run (the backstop, after the answer stalled) repeats no Claude call and sends nothing twice', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const { ev, answer } = await ask({ userId }, `重啟也只回一次 ${marker}`);
    // As if the run was cut after its reply went out but before it recorded that: the kept send and
    // finish are gone, the row looks stalled.
    await withDb((db) =>
      db
        .update(lineAiAnswers)
        .set({
          status: 'running',
          steps: sql`${lineAiAnswers.steps} - 'send answer' - 'finish'`,
          progressAt: sql`now() - interval '10 minutes'`,
        })
        .where(eq(lineAiAnswers.id, answer!.id)),
    );
    await using instance = await introspectWorkflowInstance(env.AI_ANSWER, answer!.instanceId);
    const counts = await withDb((db) => restartStalledAnswers(db, env.AI_ANSWER, createLogger({ test: 'backstop' })));
    expect(counts.restarted + counts.created).toBeGreaterThanOrEqual(1);
    await instance.waitForStatus('complete');
    await vi.waitFor(async () => expect((await answerOf(ev.webhookEventId))!.status).toBe('answered'), {
      timeout: 10_000,
    });
    expect(await claudeRequests(marker)).toHaveLength(1);
    const replies = await repliesTo(ev.replyToken);
    // The rerun's reply was refused (the token was used): it did not push the same answer.
    expect(replies.map((r) => r.status)).toEqual([200, 400]);
    expect(await pushesTo(userId)).toHaveLength(0);
    expect((await answerOf(ev.webhookEventId))!.restarts).toBe(1);
  });

  it('overlapping backstop runs claim a stalled answer once, by a time Postgres wrote (microseconds)', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const ev = textEvent({ userId }, `兩個排程同時 ${marker}`);
    expect((await postEvents([ev], { env: { AI_ANSWER: undefined } as Partial<Env> })).status).toBe(200);
    const pending = (await answerOf(ev.webhookEventId))!;
    // now() keeps microseconds; a compare-and-set against the millisecond Date read back would never match.
    await withDb((db) =>
      db
        .update(lineAiAnswers)
        .set({ progressAt: sql`now() - interval '10 minutes 0.123456 seconds'` })
        .where(eq(lineAiAnswers.id, pending.id)),
    );
    const [micros] = (
      await withDb((db) =>
        db.execute(
          sql`select extract(microseconds from progress_at)::int % 1000 as us from line_ai_answers where id = ${pending.id}`,
        ),
      )
    ).rows as [{ us: number }];
    expect(micros.us).not.toBe(0);
    await using instance = await introspectWorkflowInstance(env.AI_ANSWER, pending.instanceId);
    const log = createLogger({ test: 'backstop-overlap' });
    // Other files' answers share the database (the counts are theirs too): this answer's restart count says it was claimed once.
    await Promise.all([1, 2, 3].map(() => withDb((db) => restartStalledAnswers(db, env.AI_ANSWER, log))));
    await instance.waitForStatus('complete');
    expect(await answerOf(ev.webhookEventId)).toMatchObject({ status: 'answered', restarts: 1 });
    expect(await claudeRequests(marker)).toHaveLength(1);
  });

  it('an answer whose Workflow never started is started by the backstop', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const ev = textEvent({ userId }, `從未開始 ${marker}`);
    // No Workflow binding for this request: the answer is recorded, nothing starts it.
    expect((await postEvents([ev], { env: { AI_ANSWER: undefined } as Partial<Env> })).status).toBe(200);
    const pending = await answerOf(ev.webhookEventId);
    expect(pending).toMatchObject({ status: 'pending' });
    await withDb((db) =>
      db
        .update(lineAiAnswers)
        .set({ progressAt: sql`now() - interval '10 minutes'` })
        .where(eq(lineAiAnswers.id, pending!.id)),
    );
    await using instance = await introspectWorkflowInstance(env.AI_ANSWER, pending!.instanceId);
    const counts = await withDb((db) => restartStalledAnswers(db, env.AI_ANSWER, createLogger({ test: 'backstop' })));
    expect(counts.created).toBeGreaterThanOrEqual(1);
    await instance.waitForStatus('complete');
    // The token is still fresh: a reply.
    expect(await answerOf(ev.webhookEventId)).toMatchObject({ status: 'answered', sentBy: 'reply' });
  });
});

describe('failures and limits', () => {
  it('a 429 with retry-after is retried and answered; the key never appears in a log line', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    await claudeFault({ status: 429, match: marker, times: 1, retryAfter: 0.01 });
    const lines: string[] = [];
    const spies = (['log', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' '))),
    );
    try {
      const { answer } = await ask({ userId }, `重試 ${marker}`);
      expect(answer).toMatchObject({ status: 'answered' });
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect((await claudeRequests(marker)).map((r) => r.status)).toEqual([429, 200]);
    expect(lines.join('\n')).not.toContain(env.ANTHROPIC_API_KEY);
    expect(lines.some((l) => l.includes('ai.answered'))).toBe(true);
  });

  it('a 529 (overloaded) and a 500 are retried by the SDK: answered, one round, three requests', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    await claudeFault({ status: 529, match: marker, times: 1, retryAfter: 0.01 });
    await claudeFault({ status: 500, match: marker, times: 1, retryAfter: 0.01 });
    const { answer } = await ask({ userId }, `過載 ${marker}`);
    expect(answer).toMatchObject({ status: 'answered' });
    expect((await claudeRequests(marker)).map((r) => r.status)).toEqual([529, 500, 200]);
  });

  it('a request Claude refuses (400) is not retried: the bot apologises once, the log says why', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    await claudeFault({ status: 400, match: marker, message: 'prompt is too long' });
    const { ev, answer } = await ask({ userId }, `會失敗 ${marker}`);
    expect(answer).toMatchObject({ status: 'failed', outcome: 'no_answer', sentBy: 'reply' });
    expect(answer!.error).toContain('prompt is too long');
    expect(await claudeRequests(marker)).toHaveLength(1);
    const replies = await repliesTo(ev.replyToken);
    expect(replies).toHaveLength(1);
    expect(messagesOf(replies[0]!)[0]!.text).toContain('抱歉');
  });

  it('a long answer is split at 5000 UTF-16 units into at most 5 messages, all quoting the question', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    await claudeScript({ match: marker, text: '長'.repeat(12_000) });
    const { ev } = await ask({ userId }, `長答案 ${marker}`);
    const messages = messagesOf((await repliesTo(ev.replyToken))[0]!);
    expect(messages.map((m) => m.text.length)).toEqual([5000, 5000, 2000]);
    for (const m of messages) expect(m.quoteToken).toBe(ev.message.quoteToken);
  });

  it('over AI_DAILY_LIMIT_PER_USER: one short notice a day, then silence, and no Claude call', async () => {
    const userId = await boundUser();
    const limited = { env: { AI_DAILY_LIMIT_PER_USER: '1' } as Partial<Env> };
    const marker = newId.event();
    await askEvent(textEvent({ userId }, `第一題 ${marker}`), limited);
    const second = textEvent({ userId }, `第二題 ${marker}`);
    const third = textEvent({ userId }, `第三題 ${marker}`);
    expect((await postEvents([second], limited)).status).toBe(200);
    expect((await postEvents([third], limited)).status).toBe(200);
    expect(messagesOf((await repliesTo(second.replyToken))[0]!)[0]!.text).toContain('上限');
    expect(await repliesTo(third.replyToken)).toHaveLength(0);
    expect(await claudeRequests(marker)).toHaveLength(1);
    const [user] = await withDb((db) =>
      db.select({ on: lineUsers.aiLimitNoticeOn }).from(lineUsers).where(eq(lineUsers.lineUserId, userId)),
    );
    expect(user!.on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

afterAll(async () => {
  expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
  expect((await claudeViolations()).filter((v) => v.at >= started)).toEqual([]);
});
