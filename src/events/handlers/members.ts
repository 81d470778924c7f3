/**
 * `memberJoined` / `memberLeft`: keep the member count right and know the new members. A join
 * also moves `line_groups.member_joined_at` (the latest join's LINE time, never back): the AI reads
 * nothing from before it, as LINE shows a new member nothing from before (src/ai/context.ts).
 */
import { eq, sql } from 'drizzle-orm';
import type { Transaction } from '../../db/client';
import { lineGroups } from '@linebot-edge/shared/schema';
import { fromLineTimestamp } from '../../lib/time';
import { LineApiError } from '../../line/errors';
import type { LineClient } from '../../line/client';
import { upsertChat, upsertLineUser } from '../participants';
import { chatOf, sourceOf, type Chat, type EventHandler } from '../types';

type Members = { members?: Array<{ userId?: unknown }> } | undefined;

const memberIds = (list: Members): string[] =>
  (list?.members ?? []).map((m) => m.userId).filter((id): id is string => typeof id === 'string' && id !== '');

/** The count from LINE rather than +1/-1 arithmetic, which drifts when an event is missed. */
async function currentCount(line: LineClient, chat: Chat): Promise<number | undefined> {
  try {
    return chat.type === 'group' ? await line.getGroupMemberCount(chat.id) : await line.getRoomMemberCount(chat.id);
  } catch (err) {
    if (err instanceof LineApiError && err.isNotFound) return undefined;
    throw err;
  }
}

async function writeChatCount(tx: Transaction, chat: Chat, count: number | undefined) {
  await upsertChat(tx, chat, undefined, count === undefined ? {} : { memberCount: count });
}

export const handleMemberJoined: EventHandler = async (event, deps) => {
  const chat = chatOf(sourceOf(event));
  if (!chat) return;
  const joined = memberIds(event.joined as Members);
  const count = await currentCount(deps.line, chat);
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    await writeChatCount(tx, chat, count);
    // The greatest: an older join processed late (a cron retry) must not widen the history again.
    await tx
      .update(lineGroups)
      .set({ memberJoinedAt: sql`greatest(${lineGroups.memberJoinedAt}, ${at.toISOString()}::timestamptz)` })
      .where(eq(lineGroups.lineGroupId, chat.id));
    // Profiles come later, with each member's first message (no burst of calls for a big invite).
    for (const userId of joined) await upsertLineUser(tx, userId, undefined);
  };
};

export const handleMemberLeft: EventHandler = async (event, deps) => {
  const chat = chatOf(sourceOf(event));
  if (!chat) return;
  const count = await currentCount(deps.line, chat);
  return async (tx) => writeChatCount(tx, chat, count);
};
