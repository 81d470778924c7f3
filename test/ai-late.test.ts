/**
 * Late answers (AI_LATE_ANSWER), end to end through the webhook, the answer's Workflow, the Claude
 * emulator (answering after a delay) and the LINE emulator: with `button`, an answer not ready when
 * the reply window is about to close spends the question's reply token on a "still working" notice
 * with a 取得回答 button, is never pushed, and goes by reply to the asker's tap, once; with `push`,
 * it is pushed as before. The question is dated in the past so that the notice is due within seconds.
 */
import { env, introspectWorkflowInstance } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { instanceIdFor } from '../src/ai/answers';
import { restartStalledAnswers } from '../src/ai/backstop';
import { LATE_NOTICE_AFTER_MS } from '../src/ai/late';
import { lineAiAnswers, lineGroups } from '@linebot-edge/shared/schema';
import { createLogger } from '../src/lib/log';
import { createAccount, issueCode } from './support/admin';
import { claudeDelay, claudeRequests } from './support/claude';
import { columnsHolding, withDb } from './support/db';
import { lineRequests, type RecordedRequest } from './support/emulator';
import { event, messageEvent, newId, postEvents, textEvent, type SourceSpec, type TestEvent } from './support/line';

type Msg = { type: string; text?: string; altText?: string; contents?: unknown };

async function boundUser(name = 'Late Asker') {
  const account = await createAccount('member', name);
  const { code } = await issueCode(account.id);
  const userId = newId.user();
  expect((await postEvents([textEvent({ userId }, code)])).status).toBe(200);
  return userId;
}

const repliesTo = async (replyToken: string) =>
  (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken: string }).replyToken === replyToken && r.status === 200,
  );
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
const messagesOf = (r: RecordedRequest) => (r.body as { messages: Msg[] }).messages;
const answerRow = async (webhookEventId: string) =>
  (await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, webhookEventId))))[0]!;

/** The postback data of the 取得回答 button in a reply. */
const buttonData = (r: RecordedRequest) => /"data":"(answer:[^"]+)"/.exec(JSON.stringify(messagesOf(r)))?.[1];

const tapEvent = (src: SourceSpec, data: string) =>
  event('postback', src, { replyToken: newId.replyToken(), postback: { data } }) as TestEvent & { replyToken: string };
async function tap(src: SourceSpec, data: string) {
  const ev = tapEvent(src, data);
  expect((await postEvents([ev])).status).toBe(200);
  return { ev, replies: (await repliesTo(ev.replyToken)).flatMap(messagesOf) };
}

async function until<T>(what: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = await what();
    if (v !== undefined) return v;
  }
  throw new Error('timed out');
}

/**
 * A question dated so that the notice is due about 2 s after it arrives, Claude answering `delayMs`
 * after its request; the Workflow started and its instance returned (not yet finished).
 */
async function askLate(
  userId: string,
  delayMs: number,
  options: { env?: Partial<Env>; question?: string; groupId?: string } = {},
) {
  const marker = newId.event();
  const question = `${options.question ?? '這個問題要想很久'} ${marker}`;
  await claudeDelay({ ms: delayMs, match: marker });
  const asked = options.groupId
    ? messageEvent(
        { userId, groupId: options.groupId },
        {
          type: 'text',
          text: `@小幫手 ${question}`,
          mention: { mentionees: [{ index: 0, length: 4, isSelf: true, type: 'user' }] },
        },
      )
    : textEvent({ userId }, question);
  const ev = { ...asked, timestamp: Date.now() - (LATE_NOTICE_AFTER_MS - 2_000) };
  const instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
  expect((await postEvents([ev], { env: options.env })).status).toBe(200);
  return { ev, marker, instance };
}

describe('AI_LATE_ANSWER=button (the default)', () => {
  it('the notice goes by reply once, nothing is pushed; an early tap is told to wait, a tap delivers by reply once, a second tap is told it was delivered', async () => {
    const userId = await boundUser();
    const { ev, marker, instance } = await askLate(userId, 8_000);
    await using _ = instance;

    // The notice: the question's reply token, a 取得回答 button naming the answer.
    const notice = await until(async () => (await repliesTo(ev.replyToken))[0]);
    const data = buttonData(notice)!;
    const answerId = (await answerRow(ev.webhookEventId)).id;
    expect(data).toBe(`answer:${answerId}`);
    expect(JSON.stringify(messagesOf(notice))).toContain('取得回答');

    // Claude is still working: "not ready yet", with the button again.
    const early = await tap({ userId }, data);
    expect(early.replies).toHaveLength(1);
    expect(early.replies[0]!.altText).toContain('還沒準備好');
    expect(buttonData({ body: { messages: early.replies } } as RecordedRequest)).toBe(data);

    await instance.waitForStatus('complete');
    const waiting = await answerRow(ev.webhookEventId);
    expect(waiting).toMatchObject({ status: 'answered', sentBy: null, deliveredAt: null });
    expect(waiting.lateNoticeAt).not.toBeNull();
    expect(await repliesTo(ev.replyToken)).toHaveLength(1);
    expect(await pushesTo(userId)).toHaveLength(0);

    // The tap delivers the answer by reply with its own token, quoting the question.
    const delivered = await tap({ userId }, data);
    expect(delivered.replies.map((m) => m.text).join('')).toContain(marker);
    expect(delivered.replies[0]).toMatchObject({ quoteToken: ev.message.quoteToken });
    const row = await answerRow(ev.webhookEventId);
    expect(row.sentBy).toBe('reply');
    expect(row.deliveredAt).not.toBeNull();

    // Again (a second tap, and the same tap redelivered): nothing is sent twice.
    const again = await tap({ userId }, data);
    expect(again.replies.map((m) => m.text)).toEqual([expect.stringContaining('已經傳送過')]);
    expect((await postEvents([{ ...delivered.ev, deliveryContext: { isRedelivery: true } }])).status).toBe(200);
    expect(await repliesTo(delivered.ev.replyToken)).toHaveLength(1);
    expect(await pushesTo(userId)).toHaveLength(0);
  });

  it('a restarted run (the backstop) with the window open again sends no second notice, pushes nothing, and the answer still waits', async () => {
    const userId = await boundUser();
    const { ev, marker, instance } = await askLate(userId, 4_000);
    await using _ = instance;
    await instance.waitForStatus('complete');
    const row = await answerRow(ev.webhookEventId);
    // Watched before it looks stalled: another file's backstop run (they share the database) may restart it first.
    await using again = await introspectWorkflowInstance(env.AI_ANSWER, row.instanceId);
    // As if the run was cut while asking Claude, after the notice: Claude's step, the send and the
    // finish are gone, the row looks stalled, and the question's window is open again (its notice due now).
    await withDb((db) =>
      db
        .update(lineAiAnswers)
        .set({
          status: 'running',
          steps: sql`${lineAiAnswers.steps} - 'ask Claude 1' - 'send answer' - 'finish'`,
          progressAt: sql`now() - interval '10 minutes'`,
          eventAt: sql`now() - interval '45 seconds'`,
        })
        .where(eq(lineAiAnswers.id, row.id)),
    );
    await withDb((db) => restartStalledAnswers(db, env.AI_ANSWER, createLogger({ test: 'backstop' })));
    await again.waitForStatus('complete');
    await until(async () => ((await answerRow(ev.webhookEventId)).status === 'answered' ? true : undefined));
    // Restarted once, by this run or another file's (the claim is by the restart count).
    expect((await answerRow(ev.webhookEventId)).restarts).toBe(row.restarts + 1);
    expect(await claudeRequests(marker)).toHaveLength(2);
    expect(await repliesTo(ev.replyToken)).toHaveLength(1);
    expect(await pushesTo(userId)).toHaveLength(0);
    const data = buttonData((await repliesTo(ev.replyToken))[0]!)!;
    expect((await tap({ userId }, data)).replies.map((m) => m.text).join('')).toContain(marker);
  });

  it('forged or foreign data changes nothing: another user’s tap with the real id, an unknown id, an edited id', async () => {
    const userId = await boundUser();
    const { ev, instance } = await askLate(userId, 4_000);
    await using _ = instance;
    await instance.waitForStatus('complete');
    const data = buttonData((await repliesTo(ev.replyToken))[0]!)!;

    const stranger = await boundUser('Someone Else');
    for (const [src, d] of [
      [{ userId: stranger }, data],
      [{ userId }, `answer:${crypto.randomUUID()}`],
      [{ userId }, data.toUpperCase().replace('ANSWER:', 'answer:')],
      [{ userId }, `${data}x`],
    ] as const) {
      const t = await tap(src, d);
      expect(t.replies, d).toEqual([]);
    }
    expect((await answerRow(ev.webhookEventId)).deliveredAt).toBeNull();
    // The asker's tap still delivers.
    expect((await tap({ userId }, data)).replies.length).toBeGreaterThan(0);
  });

  it('in a group only the asker’s tap delivers (mentioning them); a colleague’s tap is told so and changes nothing; nothing is pushed', async () => {
    const asker = await boundUser();
    const colleague = await boundUser('Colleague');
    const groupId = newId.group();
    expect((await postEvents([textEvent({ userId: asker, groupId }, 'hello all')])).status).toBe(200);
    await withDb((db) =>
      db.update(lineGroups).set({ allowAiResponse: true }).where(eq(lineGroups.lineGroupId, groupId)),
    );
    const { ev, marker, instance } = await askLate(asker, 4_000, { groupId });
    await using _ = instance;
    await instance.waitForStatus('complete');
    const data = buttonData((await repliesTo(ev.replyToken))[0]!)!;

    const other = await tap({ userId: colleague, groupId }, data);
    expect(other.replies.map((m) => m.text)).toEqual([expect.stringContaining('只有提問的人')]);
    expect((await answerRow(ev.webhookEventId)).deliveredAt).toBeNull();

    const mine = await tap({ userId: asker, groupId }, data);
    expect(mine.replies[0]).toMatchObject({
      type: 'textV2',
      substitution: { asker: { type: 'mention', mentionee: { type: 'user', userId: asker } } },
    });
    expect(mine.replies.map((m) => m.text).join('')).toContain(marker);
    expect(await pushesTo(groupId)).toHaveLength(0);
  });

  it('an unsend before the tap leaves nothing to deliver: the waiting answer is redacted, the tap says the question was taken back', async () => {
    const userId = await boundUser();
    const secret = `LATESECRET${crypto.randomUUID().replace(/-/g, '')}`;
    const { ev, instance } = await askLate(userId, 4_000, { question: `我的秘密 ${secret}` });
    await using _ = instance;
    await instance.waitForStatus('complete');
    const data = buttonData((await repliesTo(ev.replyToken))[0]!)!;
    // The test can fail: the waiting answer (the emulator's answer quotes the question) holds the text.
    expect(JSON.stringify((await answerRow(ev.webhookEventId)).steps)).toContain(secret);

    expect((await postEvents([event('unsend', { userId }, { unsend: { messageId: ev.message.id } })])).status).toBe(
      200,
    );
    expect(await columnsHolding(secret)).toEqual([]);
    const t = await tap({ userId }, data);
    expect(t.replies.map((m) => m.text)).toEqual([expect.stringContaining('已收回')]);
    expect((await answerRow(ev.webhookEventId)).deliveredAt).toBeNull();
    expect(await pushesTo(userId)).toHaveLength(0);
  });

  it('an answer ready within the window goes by reply as before: no notice', async () => {
    const userId = await boundUser();
    const marker = newId.event();
    const ev = textEvent({ userId }, `很快的問題 ${marker}`);
    await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
    expect((await postEvents([ev])).status).toBe(200);
    await instance.waitForStatus('complete');
    const [reply] = await repliesTo(ev.replyToken);
    expect(messagesOf(reply!)[0]!.text).toContain(marker);
    expect(await answerRow(ev.webhookEventId)).toMatchObject({ sentBy: 'reply', lateNoticeAt: null });
  });
});

describe('AI_LATE_ANSWER=push', () => {
  it('an answer ready after the window is pushed with its retry key, and no notice is sent', async () => {
    const userId = await boundUser();
    // The notice would be due in 2 s; Claude answers after the window has closed (10 s later).
    const { ev, marker, instance } = await askLate(userId, 12_000, {
      env: { AI_LATE_ANSWER: 'push' } as Partial<Env>,
    });
    await using _ = instance;
    await instance.waitForStatus('complete');
    expect(await repliesTo(ev.replyToken)).toHaveLength(0);
    const pushes = (await pushesTo(userId)).filter((p) => JSON.stringify(p.body).includes(marker));
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await answerRow(ev.webhookEventId)).toMatchObject({ sentBy: 'push', lateNoticeAt: null });
  });
});
