/**
 * Talking to the bot as LINE users do, for the NAS and membership tests: signed events through the
 * webhook, the bot's replies read back from the LINE emulator, users bound with a code from the API.
 */
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { lineGroups, lineUsers } from '@linebot-edge/shared/schema';
import { createAccount, issueCode } from './admin';
import { withDb } from './db';
import { lineRequests } from './emulator';
import { newId, postEvents, textEvent, type PostOptions, type SourceSpec } from './line';

/** A text message through the webhook, and the bot's replies to it. */
export async function say(src: SourceSpec, text: string, options?: PostOptions) {
  const ev = textEvent(src, text);
  expect((await postEvents([ev], options)).status).toBe(200);
  return { ev, replies: await repliesTo(ev.replyToken) };
}

/** A message as the tests read it: a text, or a Flex message with its text version. */
export type SentMessage = { type: string; text?: string; altText?: string; contents?: unknown; quickReply?: unknown };

/** Every message the bot sent with this reply token (each accepted by the emulator). */
export async function replyMessagesTo(replyToken: string): Promise<SentMessage[]> {
  const sent = (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken?: string }).replyToken === replyToken,
  );
  for (const r of sent) expect([r.status, r.errors]).toEqual([200, []]);
  return sent.flatMap((r) => (r.body as { messages: SentMessage[] }).messages);
}

/** The texts of every reply the bot sent with this reply token: a Flex message's text version (altText). */
export async function repliesTo(replyToken: string): Promise<string[]> {
  return (await replyMessagesTo(replyToken)).map((m) => m.text ?? m.altText ?? '');
}

/** Each bound LINE user's account id. */
const accounts = new Map<string, number>();
export const accountOf = (lineUserId: string) => accounts.get(lineUserId)!;
export const isBound = (lineUserId: string) => accounts.has(lineUserId);

/** A new LINE user bound (by a code sent in a 1:1 chat) to a new account with this role. */
export async function boundUser(role: 'admin' | 'member' = 'member') {
  const account = await createAccount(role, `NAS ${role}`);
  const { code } = await issueCode(account.id);
  const userId = newId.user();
  expect((await say({ userId }, code)).replies.join('')).toContain('綁定成功');
  accounts.set(userId, account.id);
  return userId;
}

export const pkOf = async (lineUserId: string) =>
  (
    await withDb((db) => db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)))
  )[0]!.id;
export const groupPkOf = async (groupId: string) =>
  (
    await withDb((db) => db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.lineGroupId, groupId)))
  )[0]!.id;
