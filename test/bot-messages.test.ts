/**
 * Command replies go through the outbound module (src/line/outbound.ts, its own exactly-once tests
 * in test/outbound.test.ts) and become rows of line_messages (is_from_bot): every reply and push,
 * with the id LINE returned in `sentMessages`, in the chat it went to, never twice.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineGroups, lineMessages, lineUsers } from '@linebot-edge/shared/schema';
import { derivedRetryKey } from '../src/line/messages';
import { createAccount, issueCode } from './support/admin';
import { withDb } from './support/db';
import { addFault, lineRequests, type RecordedRequest } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';

type Sent = { sentMessages: Array<{ id: string; quoteToken?: string }> };

const botRows = (ids: string[]) =>
  withDb((db) =>
    db
      .select()
      .from(lineMessages)
      .where(and(eq(lineMessages.isFromBot, true), inArray(lineMessages.messageId, ids))),
  );
const pkOfUser = (lineUserId: string) =>
  withDb(
    async (db) =>
      (await db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)))[0]!.id,
  );
const pkOfChat = (lineGroupId: string) =>
  withDb(
    async (db) =>
      (await db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.lineGroupId, lineGroupId)))[0]!.id,
  );

/** What the emulator answered to the reply made with this token. */
async function replyTo(replyToken: string): Promise<RecordedRequest | undefined> {
  return (await lineRequests('/v2/bot/message/reply')).find(
    (r) => (r.body as { replyToken?: string }).replyToken === replyToken,
  );
}

async function say(src: SourceSpec, text: string) {
  const ev = textEvent(src, text);
  expect((await postEvents([ev])).status).toBe(200);
  return ev;
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
    const [question] = await withDb((db) =>
      db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)),
    );
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
    expect(rows[0]).toMatchObject({
      isFromBot: true,
      lineUserId: null,
      lineGroupId: await pkOfChat(groupId),
      sourceType: 'group',
    });
  });

  it('a redelivered event makes no second reply and no second row', async () => {
    const userId = newId.user();
    const ev = await say({ userId }, '/help');
    const again = { ...ev, deliveryContext: { isRedelivery: true } };
    expect((await postEvents([again])).status).toBe(200);
    const replies = (await lineRequests('/v2/bot/message/reply')).filter(
      (r) => (r.body as { replyToken?: string }).replyToken === ev.replyToken,
    );
    expect(replies).toHaveLength(1);
    const userPk = await pkOfUser(userId);
    const rows = await withDb((db) =>
      db
        .select()
        .from(lineMessages)
        .where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, userPk))),
    );
    expect(rows).toHaveLength((replies[0]!.response as Sent).sentMessages.length);
  });

  it('a reply LINE refuses leaves no row of its own: the answer is pushed instead, keyed by the event, and recorded once', async () => {
    const userId = newId.user();
    const ev = textEvent({ userId }, '/help');
    await addFault({
      path: '/v2/bot/message/reply',
      bodyContains: ev.replyToken,
      status: 400,
      body: { message: 'Invalid reply token' },
      times: 1,
    });
    expect((await postEvents([ev])).status).toBe(200);
    const reply = await replyTo(ev.replyToken);
    expect(reply?.status).toBe(400);
    const pushes = (await lineRequests('/v2/bot/message/push')).filter(
      (r) => (r.body as { to?: string }).to === userId,
    );
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers['x-line-retry-key']).toBe(await derivedRetryKey(`${ev.webhookEventId}:answer`, 0));
    const userPk = await pkOfUser(userId);
    const rows = await withDb((db) =>
      db
        .select()
        .from(lineMessages)
        .where(and(eq(lineMessages.isFromBot, true), eq(lineMessages.lineUserId, userPk))),
    );
    expect(rows.map((r) => r.messageId)).toEqual((pushes[0]!.response as Sent).sentMessages.map((s) => s.id));
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
    expect(rows[0]).toMatchObject({
      isFromBot: true,
      lineUserId: await pkOfUser(userId),
      lineGroupId: null,
      sourceType: 'user',
    });
  });
});
