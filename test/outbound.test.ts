/**
 * The outbound module (src/line/outbound.ts), the one way the bot sends, against the LINE
 * emulator (spec-checked requests) and the real database: reply inside the window, push after it
 * with a retry key from what is answered, no push after a reply that may have gone out, 409 taken
 * as sent with LINE's sentMessages, the monthly limit's 429 logged as line.quota_exceeded and
 * returned, any other 429 (the rate limit) logged as line.rate_limited and thrown, and every sent
 * message one is_from_bot row.
 */
import { env } from 'cloudflare:test';
import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../src/db/client';
import { lineMessages, linePushRefusals, nasSendRequests } from '@linebot-edge/shared/schema';
import { createLineClient, type Message } from '../src/line/client';
import { derivedRetryKey, textMessages } from '../src/line/messages';
import { LineApiError } from '../src/line/errors';
import { destinationOf, REPLY_WINDOW_MS, replyAttemptMark, sendMessages, type Outbound } from '../src/line/outbound';
import { createLogger } from '../src/lib/log';
import { seedGroup, seedLineUser } from './support/admin';
import { withDb } from './support/db';
import { addFault, lineRequests, refusePushesForQuota, violations, type RecordedRequest } from './support/emulator';
import { newId } from './support/line';
import { loadRequest, seedSendRequest } from './support/nas';

/** LINE's words for its per-second rate limit (a 429 that a retry later gets through). */
const RATE_LIMIT_MESSAGE = 'The API rate limit has been exceeded. Try again later.';

type SentBody = { sentMessages: Array<{ id: string; quoteToken?: string }> };

const line = createLineClient({ channelAccessToken: 'test', apiBaseUrl: env.LINE_API_BASE_URL, retryBaseDelayMs: 1 });
/** Sends with a database of its own; `out` may be built from it (a mark on a real row). */
const send = (out: Outbound | ((db: Database) => Outbound)) =>
  withDb((db) =>
    sendMessages({ db, line, log: createLogger({ test: 'outbound' }) }, typeof out === 'function' ? out(db) : out),
  );

const repliesWith = async (token: string) =>
  (await lineRequests('/v2/bot/message/reply')).filter((r) => (r.body as { replyToken?: string }).replyToken === token);
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to?: string }).to === to);
const idsOf = (r: RecordedRequest) => (r.response as SentBody).sentMessages.map((m) => m.id);
const botRowsOf = (lineUserPk: string) =>
  withDb((db) =>
    db
      .select()
      .from(lineMessages)
      .where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, lineUserPk))),
  );

/** A 1:1 chat with a fresh LINE user. */
async function userChat() {
  const user = await seedLineUser({ displayName: 'Outbound' });
  return { pk: user.id, to: user.lineUserId, chat: { type: 'user' as const, lineUserPk: user.id } };
}

/** Texts that say which test sent them (the emulator's record is shared by every test file). */
const texts = (...parts: string[]): Message[] => parts.flatMap((p) => textMessages(`${p} ${newId.event()}`));

afterEach(() => vi.restoreAllMocks());

describe('reply or push', () => {
  it('inside the reply window: a reply, marked attempted before it is sent, its messages recorded once', async () => {
    const { pk, to, chat } = await userChat();
    const token = newId.replyToken();
    const messages = texts('第一則', 'second');
    let repliesWhenMarked: number | null = null;
    const sent = await send({
      chat,
      messages,
      reply: {
        token,
        eventAt: new Date(Date.now() - 5_000),
        markAttempted: async () => {
          repliesWhenMarked = (await repliesWith(token)).length;
          return true;
        },
      },
      push: { to, key: `test:${newId.event()}` },
    });
    expect(repliesWhenMarked).toBe(0);
    const [reply] = await repliesWith(token);
    expect(reply!.status).toBe(200);
    expect(sent).toEqual({ sentBy: 'reply', messageIds: idsOf(reply!) });
    expect(await pushesTo(to)).toEqual([]);
    const rows = await botRowsOf(pk);
    const byId = new Map(rows.map((r) => [r.messageId, [r.content, r.sourceType]]));
    expect(rows).toHaveLength(2);
    expect(idsOf(reply!).map((id) => byId.get(id))).toEqual(
      messages.map((m) => [(m as { text: string }).text, 'user']),
    );
    expect(rows.every((r) => r.replyToken === null)).toBe(true);
  });

  it('after the reply window: a push whose X-Line-Retry-Key derives from the given key; the reply is not marked', async () => {
    const { pk, to, chat } = await userChat();
    const key = `nas-send:${crypto.randomUUID()}:file`;
    let marked = false;
    const sent = await send({
      chat,
      messages: texts('late'),
      reply: {
        token: newId.replyToken(),
        eventAt: new Date(Date.now() - REPLY_WINDOW_MS - 1_000),
        markAttempted: async () => (marked = true),
      },
      push: { to, key },
    });
    const [push] = await pushesTo(to);
    expect(push!.headers['x-line-retry-key']).toBe(await derivedRetryKey(key, 0));
    expect(sent).toEqual({ sentBy: 'push', messageIds: idsOf(push!) });
    expect(marked).toBe(false);
    expect((await botRowsOf(pk)).map((r) => r.messageId)).toEqual(idsOf(push!));
  });

  it('more messages than a reply carries go by push, even inside the window', async () => {
    const { to, chat } = await userChat();
    const token = newId.replyToken();
    const sent = await send({
      chat,
      messages: texts('1', '2', '3', '4', '5', '6'),
      reply: { token, eventAt: new Date() },
      push: { to, key: `test:${newId.event()}` },
    });
    expect(sent.sentBy).toBe('push');
    expect(sent.messageIds).toHaveLength(6);
    expect(await repliesWith(token)).toEqual([]);
  });

  it('push: null (a tap answered late): nothing is sent', async () => {
    const { pk, to, chat } = await userChat();
    const token = newId.replyToken();
    const sent = await send({
      chat,
      messages: texts('too late'),
      reply: { token, eventAt: new Date(Date.now() - 120_000) },
      push: null,
    });
    expect(sent).toEqual({ sentBy: null, messageIds: [] });
    expect(await repliesWith(token)).toEqual([]);
    expect(await pushesTo(to)).toEqual([]);
    expect(await botRowsOf(pk)).toEqual([]);
  });

  it('a group: the rows carry the group, read from its row with the LINE id a push goes to', async () => {
    const group = await seedGroup({ name: 'Outbound room', sourceType: 'room' });
    const { chat, to } = await withDb((db) => destinationOf(db, { lineUserPk: crypto.randomUUID(), chatPk: group.id }));
    expect({ chat, to }).toEqual({ chat: { type: 'room', chatPk: group.id }, to: group.lineGroupId });
    const sent = await send({ chat, messages: texts('room'), push: { to, key: `test:${newId.event()}` } });
    const rows = await withDb((db) =>
      db.select().from(lineMessages).where(inArray(lineMessages.messageId, sent.messageIds)),
    );
    expect(rows).toMatchObject([{ isFromBot: true, lineGroupId: group.id, lineUserId: null, sourceType: 'room' }]);
  });
});

describe('exactly once', () => {
  it('a rerun after an attempted reply (the row says so, however late) does not push: LINE’s 400 to the used token counts as sent', async () => {
    // The mark is a real row's reply_attempted_at (a NAS send request's, set by Postgres).
    const { request, user } = await seedSendRequest({ status: 'failed', sentAt: new Date() });
    const chat = { type: 'user' as const, lineUserPk: user!.id };
    const out =
      (attempted: boolean, now: number) =>
      (db: Database): Outbound => ({
        chat,
        messages: texts('once'),
        reply: {
          token: request.replyToken!,
          eventAt: request.eventAt,
          attempted,
          markAttempted: replyAttemptMark(db, nasSendRequests, request.id),
        },
        push: { to: user!.lineUserId, key: `nas-send:${request.id}:failure` },
        now,
      });
    const first = await send(out(false, Date.now()));
    expect(first.sentBy).toBe('reply');
    const marked = await loadRequest(request.id);
    expect(marked.replyAttemptedAt).not.toBeNull();

    // Two minutes later, after a crash that lost the outcome: the row says a reply was attempted.
    const again = await send(out(marked.replyAttemptedAt !== null, Date.now() + 120_000));
    expect(again).toEqual({ sentBy: 'reply', messageIds: [] });
    expect((await repliesWith(request.replyToken!)).map((r) => r.status)).toEqual([200, 400]);
    expect(await pushesTo(user!.lineUserId)).toEqual([]);
    expect(await botRowsOf(user!.id)).toHaveLength(1);
    // Marked once: the rerun's mark found it set and changed nothing.
    expect((await loadRequest(request.id)).replyAttemptedAt).toEqual(marked.replyAttemptedAt);
  });

  it('two runs at once: the one that finds the mark already set takes LINE’s 400 as sent and pushes nothing', async () => {
    const { request, user } = await seedSendRequest({ status: 'failed', sentAt: new Date() });
    const mark = (db: Database) => replyAttemptMark(db, nasSendRequests, request.id);
    expect(await withDb((db) => mark(db)())).toBe(true);
    expect(await withDb((db) => mark(db)())).toBe(false);
    // The other run's reply went out with the token meanwhile.
    await line.replyMessage(request.replyToken!, textMessages('the other run'));
    const sent = await send((db) => ({
      chat: { type: 'user', lineUserPk: user!.id },
      messages: texts('me too'),
      reply: { token: request.replyToken!, eventAt: new Date(), markAttempted: mark(db) },
      push: { to: user!.lineUserId, key: `nas-send:${request.id}:file` },
    }));
    expect(sent).toEqual({ sentBy: 'reply', messageIds: [] });
    expect(await pushesTo(user!.lineUserId)).toEqual([]);
  });

  it('a token used by another message, refused at the first attempt: pushed once instead', async () => {
    const { pk, to, chat } = await userChat();
    const token = newId.replyToken();
    await line.replyMessage(token, textMessages('正在處理…'));
    const key = `test:${newId.event()}`;
    const sent = await send({
      chat,
      messages: texts('after a refused reply'),
      reply: { token, eventAt: new Date(), markAttempted: async () => true },
      push: { to, key },
    });
    expect((await repliesWith(token)).map((r) => r.status)).toEqual([200, 400]);
    const [push] = await pushesTo(to);
    expect(push!.headers['x-line-retry-key']).toBe(await derivedRetryKey(key, 0));
    expect(sent).toEqual({ sentBy: 'push', messageIds: idsOf(push!) });
    expect((await botRowsOf(pk)).map((r) => r.messageId)).toEqual(idsOf(push!));
  });

  it('a push repeated with the same key: LINE’s 409 is taken as sent with its sentMessages, no second row; batches of five keep their own keys', async () => {
    const { pk, to, chat } = await userChat();
    // 7 messages: two push requests (5 + 2), each with its own derived retry key.
    const messages = texts('p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7');
    const key = `test:${newId.event()}`;
    const first = await send({ chat, messages, push: { to, key } });
    const second = await send({ chat, messages, push: { to, key } });

    const pushes = await pushesTo(to);
    expect(pushes.map((p) => p.status)).toEqual([200, 200, 409, 409]);
    expect(pushes.map((p) => p.headers['x-line-retry-key'])).toEqual(
      await Promise.all(
        [0, 1, 0, 1].map((i) => derivedRetryKey(key, 0).then((k) => (i === 0 ? k : derivedRetryKey(k, i)))),
      ),
    );
    const sentIds = pushes.slice(0, 2).flatMap(idsOf);
    expect(first).toEqual({ sentBy: 'push', messageIds: sentIds });
    expect(second).toEqual({ sentBy: 'push', messageIds: sentIds });
    const rows = await botRowsOf(pk);
    expect(rows).toHaveLength(7);
    const byId = new Map(rows.map((r) => [r.messageId, r.content]));
    expect(sentIds.map((id) => byId.get(id))).toEqual(messages.map((m) => (m as { text: string }).text));
  });

  it('a quota refusal (429 to the push): logged as line.quota_exceeded with the chat and never the text, returned, counted once, nothing recorded', async () => {
    const { pk, to, chat } = await userChat();
    const secret = `機密內容 ${newId.event()}`;
    // The client retries a 429 twice: three refusals, for this chat's pushes only.
    await refusePushesForQuota(to, 3);
    const warn = vi.spyOn(console, 'warn');
    const key = `test:${newId.event()}`;
    const sent = await send({ chat, messages: textMessages(secret), push: { to, key } });
    expect(sent).toEqual({ sentBy: null, messageIds: [], refused: 'quota' });
    expect((await pushesTo(to)).map((p) => p.status)).toEqual([429, 429, 429]);
    const lines = warn.mock.calls.map(([l]) => String(l));
    const quota = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'line.quota_exceeded');
    expect(quota).toEqual([
      expect.objectContaining({
        level: 'warn',
        chat: { type: 'user', id: pk },
        lineMessage: 'You have reached your monthly limit.',
      }),
    ]);
    expect(lines.some((l) => l.includes(secret))).toBe(false);
    expect(await botRowsOf(pk)).toEqual([]);
    // One refusal row for the push (not one per retry): what was answered and the chat's type, no text.
    const refusals = await withDb((db) => db.select().from(linePushRefusals).where(eq(linePushRefusals.pushKey, key)));
    expect(refusals).toEqual([expect.objectContaining({ pushKey: key, chatType: 'user' })]);
    expect(JSON.stringify(refusals)).not.toContain(secret);
  });

  it("a rate limit (429, LINE's other words) after the client's retries: logged once as line.rate_limited and thrown, no refusal counted; the caller's retry sends once", async () => {
    const { pk, to, chat } = await userChat();
    const secret = `機密內容 ${newId.event()}`;
    // Three refusals: the first try and the client's two retries, for this chat's pushes only.
    await addFault({
      method: 'POST',
      path: '/v2/bot/message/push',
      bodyContains: JSON.stringify(to),
      status: 429,
      body: { message: RATE_LIMIT_MESSAGE },
      times: 3,
    });
    const warn = vi.spyOn(console, 'warn');
    const key = `test:${newId.event()}`;
    const out: Outbound = { chat, messages: textMessages(secret), push: { to, key } };
    const err: unknown = await send(out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineApiError);
    expect((err as LineApiError).status).toBe(429);
    expect((await pushesTo(to)).map((p) => p.status)).toEqual([429, 429, 429]);
    const lines = warn.mock.calls.map(([l]) => String(l));
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.msg === 'line.rate_limited')).toEqual([
      expect.objectContaining({ level: 'warn', chat: { type: 'user', id: pk }, lineMessage: RATE_LIMIT_MESSAGE }),
    ]);
    expect(logged.filter((l) => l.msg === 'line.quota_exceeded')).toEqual([]);
    expect(lines.some((l) => l.includes(secret))).toBe(false);
    expect(await withDb((db) => db.select().from(linePushRefusals).where(eq(linePushRefusals.pushKey, key)))).toEqual(
      [],
    );
    expect(await botRowsOf(pk)).toEqual([]);

    // The fault is used up: the retry pushes with the same key and sends one message; another gets 409.
    const again = await send(out);
    const twice = await send(out);
    const pushes = await pushesTo(to);
    expect(pushes.map((p) => p.status)).toEqual([429, 429, 429, 200, 409]);
    expect(new Set(pushes.map((p) => p.headers['x-line-retry-key']))).toEqual(new Set([await derivedRetryKey(key, 0)]));
    expect(again).toEqual({ sentBy: 'push', messageIds: idsOf(pushes[3]!) });
    expect(twice).toEqual(again);
    expect(await botRowsOf(pk)).toHaveLength(1);
  });

  it.each([
    ['LINE words it never used before', 'thrown', { message: 'Too many requests, slow down' }],
    ['no words at all', 'thrown', {}],
    [
      'the monthly limit in other case and words',
      'quota',
      { message: 'You have reached your MONTHLY LIMIT for this plan' },
    ],
  ] as const)('a 429 with %s: %s', async (_, outcome, body) => {
    const { to, chat } = await userChat();
    await addFault({
      method: 'POST',
      path: '/v2/bot/message/push',
      bodyContains: JSON.stringify(to),
      status: 429,
      body,
      times: 3,
    });
    const key = `test:${newId.event()}`;
    const sent = await send({ chat, messages: texts('429'), push: { to, key } }).then(
      (s) => s.refused ?? s.sentBy,
      (e: unknown) => (e instanceof LineApiError && e.status === 429 ? 'thrown' : e),
    );
    expect(sent).toBe(outcome);
    const refusals = await withDb((db) => db.select().from(linePushRefusals).where(eq(linePushRefusals.pushKey, key)));
    expect(refusals).toHaveLength(outcome === 'quota' ? 1 : 0);
  });

  it('every request was valid against LINE’s spec', async () => {
    expect((await violations()).filter((v) => v.path.startsWith('/v2/bot/message/'))).toEqual([]);
  });
});
