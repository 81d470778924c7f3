/**
 * The chat filters the lists share (messages, files, AI answers, share links, the audit trail):
 * `groupId` / `lineUserId` in a query, as a group or LINE user named by our UUID or by LINE's id.
 */
import { eq, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { lineGroups, lineUsers } from '@linebot-edge/shared/schema';
import { UUID_PATTERN } from '../lib/uuid';

/**
 * The LINE user and the chat of a listed row (a message's sender, an answer's asker), joined under
 * these names so that `chatFilters` can compare LINE's ids on them whatever the row's table.
 */
export const sender = alias(lineUsers, 'sender');
export const chat = alias(lineGroups, 'chat');

/**
 * A group or user named by our UUID or by LINE's id. Anything that is not a UUID is compared with
 * LINE's id as text, never cast: a string of digits or an odd value simply matches nothing.
 */
const byRef = (ref: string | undefined, ours: AnyColumn, lines: AnyColumn): SQL | undefined =>
  !ref ? undefined : UUID_PATTERN.test(ref) ? eq(ours, ref) : eq(lines, ref);

/**
 * The `groupId` / `lineUserId` filters of a list whose rows have these two foreign keys; the query
 * must join `chat` on the first and `sender` on the second (an empty value means no filter).
 */
export function chatFilters(
  q: { groupId?: string; lineUserId?: string },
  row: { lineGroupId: AnyColumn; lineUserId: AnyColumn },
): SQL[] {
  const group = byRef(q.groupId, row.lineGroupId, chat.lineGroupId);
  const user = byRef(q.lineUserId, row.lineUserId, sender.lineUserId);
  return [group, user].filter((w) => w !== undefined);
}
