/**
 * Stored messages of every chat, both directions, newest first, filtered by chat, sender and type,
 * keyset-paged: the management API's `GET /messages`, the console's message list and a group's
 * timeline.
 */
import { and, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineMessages } from '@linebot-edge/shared/schema';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';
import { iso } from '../api/dates';

export interface MessageQuery {
  /** A group by our UUID or LINE's id (see `chatFilters`). */
  groupId?: string;
  /** A LINE user by our UUID or LINE's id. */
  lineUserId?: string;
  /** text, image, sticker... as LINE names them. */
  messageType?: string;
  before?: string;
  limit: number;
}

export type MessageItem = Awaited<ReturnType<typeof listMessages>>['items'][number];

export async function listMessages(db: Queryable, q: MessageQuery) {
  const cursor = decodeCursor(q.before, 'uuid');
  const where = chatFilters(q, lineMessages);
  if (q.messageType) where.push(eq(lineMessages.messageType, q.messageType));
  if (cursor) where.push(olderThan(lineMessages.sentAt, lineMessages.id, cursor));
  const rows = await db
    .select({
      m: lineMessages,
      userLineId: sender.lineUserId,
      senderName: sender.displayName,
      groupLineId: chat.lineGroupId,
      groupName: chat.name,
    })
    .from(lineMessages)
    .leftJoin(sender, eq(sender.id, lineMessages.lineUserId))
    .leftJoin(chat, eq(chat.id, lineMessages.lineGroupId))
    .where(and(...where))
    .orderBy(...newestFirst(lineMessages.sentAt, lineMessages.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.m.sentAt, id: r.m.id }));
  return {
    items: items.map((r) => ({
      id: r.m.id,
      messageId: r.m.messageId,
      messageType: r.m.messageType,
      sourceType: r.m.sourceType,
      content: r.m.content,
      isFromBot: r.m.isFromBot,
      sentByOperator: r.m.sentByOperator,
      aiProcessed: r.m.aiProcessed,
      fileId: r.m.fileId,
      lineUserId: r.userLineId,
      senderName: r.senderName,
      lineGroupId: r.groupLineId,
      groupName: r.groupName,
      sentAt: r.m.sentAt.toISOString(),
      unsentAt: iso(r.m.unsentAt),
      editedAt: iso(r.m.editedAt),
    })),
    nextCursor,
  };
}
