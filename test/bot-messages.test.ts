/**
 * The bot's own messages are rows of line_messages (is_from_bot): every reply and push, with the
 * id LINE returned in `sentMessages`, in the chat it went to, never twice.
 */
import { env } from 'cloudflare:test';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { pushAsBot, replyAsBot } from '../src/bot/send';
import { lineGroups, lineMessages, lineUsers } from '../src/db/schema';
import { createLineClient } from '../src/line/client';
import { derivedRetryKey, textMessages } from '../src/line/messages';
import { createLogger } from '../src/lib/log';
import { createAccount, issueCode } from './support/admin';
import { withDb } from './support/db';
import { addFault, lineRequests, type RecordedRequest } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';

type Sent = { sentMessages: Array<{ id: string; quoteToken?: string }> };

const botRows = (ids: string[]) =>
  withDb((db) => db.select().from(lineMessages).where(and(eq(lineMessages.isFromBot, true), inArray(lineMessages.messageId, ids))));
const pkOfUser = (lineUserId: string) =>
  withDb(async (db) => (await db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)))[0]!.id);
const pkOfChat = (lineGroupId: string) =>
  withDb(async (db) => (await db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.lineGroupId, lineGroupId)))[0]!.id);

/** What the emulator answered to the reply made with this token. */
async function replyTo(replyToken: string): Promise<RecordedRequest | undefined> {
  return (await lineRequests('/v2/bot/message/reply')).find((r) => (r.body as { replyToken?: string }).replyToken === replyToken);
}

async function say(src: SourceSpec, text: string) {
  const ev = textEvent(src, text);
  expect((await postEvents([ev])).status).toBe(200);
  return ev;
}

function withLine<T>(fn: (deps: Parameters<typeof replyAsBot>[0]) => Promise<T>) {
  const log = createLogger({ test: 'bot-messages' });
  const line = createLineClient({ channelAccessToken: 'test', apiBaseUrl: env.LINE_API_BASE_URL, retryBaseDelayMs: 1 });
  return withDb((db) => fn({ db, line, log }));
}

describe('the bot’s replies are recorded', () => {
  it('a reply in a 1:1 chat: one row per sent message, LINE’s id, the text, the message object, the user it went to', async () => {
    const userId = newId.user();
    const ev = await say({ userId }, '/help');
    const reply = await replyTo(ev.replyToken);
    expect(reply?.status).toBe(200);
    const sent = (reply!.response as Sent).sentMessages;
    const messages = (reply!.body as { messages: Array<{ type: string; text: string }> }).messages;
    expect(sent).toHaveLength(messages.length);

    const rows = await botRows(sent.map((s) => s.id));
    expect(rows).toHaveLength(sent.length);
    const byId = new Map(rows.map((r) => [r.messageId, r]));
    const userPk = await pkOfUser(userId);
    sent.forEach((s, i) => {
      expect(byId.get(s.id)).toMatchObject({
        isFromBot: true,
        lineUserId: userPk,
        lineGroupId: null,
        sourceType: 'user',
        messageType: 'text',
        content: messages[i]!.text,
        quoteToken: s.quoteToken ?? null,
        aiProcessed: false,
      });
      expect(byId.get(s.id)!.rawMessage).toEqual(messages[i]);
    });
    // The question is still the user's own row, not the bot's.
    const [question] = await withDb((db) => db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)));
    expect(question).toMatchObject({ isFromBot: false, lineUserId: userPk });
  });

  it('a reply in a group goes to the group’s row, with no line user', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    // Unbound members get silence in groups: bind first, then ask for the group's project.
    const account = await createAccount('member', 'Group Talker');
    const { code } = await issueCode(account.id);
    await say({ userId }, code);
    const ev = await say({ userId, groupId }, '/project');
    const reply = await replyTo(ev.replyToken);
    expect(reply?.status).toBe(200);
    const sent = (reply!.response as Sent).sentMessages;
    const rows = await botRows(sent.map((s) => s.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ isFromBot: true, lineUserId: null, lineGroupId: await pkOfChat(groupId), sourceType: 'group' });
  });

  it('a redelivered event makes no second reply and no second row', async () => {
    const userId = newId.user();
    const ev = await say({ userId }, '/help');
    const again = { ...ev, deliveryContext: { isRedelivery: true } };
    expect((await postEvents([again])).status).toBe(200);
    const replies = (await lineRequests('/v2/bot/message/reply')).filter((r) => (r.body as { replyToken?: string }).replyToken === ev.replyToken);
    expect(replies).toHaveLength(1);
    const userPk = await pkOfUser(userId);
    const rows = await withDb((db) =>
      db.select().from(lineMessages).where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, userPk))),
    );
    expect(rows).toHaveLength((replies[0]!.response as Sent).sentMessages.length);
  });

  it('a reply LINE refuses leaves no row', async () => {
    const userId = newId.user();
    await addFault({ path: '/v2/bot/message/reply', status: 400, body: { message: 'Invalid reply token' }, times: 1 });
    const ev = await say({ userId }, '/help');
    const reply = await replyTo(ev.replyToken);
    expect(reply?.status).toBe(400);
    const userPk = await pkOfUser(userId);
    const rows = await withDb((db) =>
      db.select().from(lineMessages).where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, userPk))),
    );
    expect(rows).toHaveLength(0);
  });
});

describe('the bot’s pushes are recorded', () => {
  it('an event answered after its reply token expired is pushed and recorded', async () => {
    const userId = newId.user();
    const ev = { ...textEvent({ userId }, '/help'), timestamp: Date.now() - 120_000 };
    expect((await postEvents([ev])).status).toBe(200);
    const push = (await lineRequests('/v2/bot/message/push')).find((r) => (r.body as { to?: string }).to === userId);
    expect(push?.status).toBe(200);
    const sent = (push!.response as Sent).sentMessages;
    const rows = await botRows(sent.map((s) => s.id));
    expect(rows).toHaveLength(sent.length);
    expect(rows[0]).toMatchObject({ isFromBot: true, lineUserId: await pkOfUser(userId), lineGroupId: null, sourceType: 'user' });
  });

  it('a retried push (409 on its retry key, same messages) adds no second row; batches of five map to their messages', async () => {
    const userId = newId.user();
    await say({ userId }, 'hello'); // makes the line_users row
    const userPk = await pkOfUser(userId);
    const chat = { type: 'user' as const, lineUserPk: userPk };
    // 7 messages: two push requests (5 + 2), each with its own derived retry key.
    const texts = Array.from({ length: 7 }, (_, i) => `part ${i + 1} ${newId.event()}`);
    const messages = texts.flatMap((t) => textMessages(t));
    const retryKey = await derivedRetryKey(`test:${newId.event()}`, 0);

    await withLine((deps) => pushAsBot(deps, chat, userId, messages, retryKey));
    await withLine((deps) => pushAsBot(deps, chat, userId, messages, retryKey));

    const pushes = (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to?: string }).to === userId);
    expect(pushes.map((p) => p.status)).toEqual([200, 200, 409, 409]);
    // LINE's 409s name the same messages as the first answers.
    const sentIds = pushes.slice(0, 2).flatMap((p) => (p.response as Sent).sentMessages.map((s) => s.id));
    expect(pushes.slice(2).flatMap((p) => (p.response as Sent).sentMessages.map((s) => s.id))).toEqual(sentIds);
    const rows = (await withDb((db) =>
      db.select().from(lineMessages).where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, userPk))),
    )).filter((r) => r.content?.startsWith('part '));
    expect(rows.map((r) => r.content).sort()).toEqual([...texts].sort());
    // Each row carries the id LINE gave that very message.
    const byContent = new Map(rows.map((r) => [r.content, r.messageId]));
    expect(texts.map((t) => byContent.get(t))).toEqual(sentIds);
  });

  it('the send module used directly (as later answers will) records a reply the same way', async () => {
    const userId = newId.user();
    await say({ userId }, 'hello'); // makes the line_users row
    const userPk = await pkOfUser(userId);
    const replyToken = newId.replyToken();
    await withLine((deps) => replyAsBot(deps, { type: 'user', lineUserPk: userPk }, replyToken, textMessages('direct reply')));
    const reply = await replyTo(replyToken);
    const rows = await botRows((reply!.response as Sent).sentMessages.map((s) => s.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ content: 'direct reply', lineUserId: userPk, isFromBot: true });
  });
});
