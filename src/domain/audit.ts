/**
 * Reading the audit trail: newest first, filtered by action, account and chat, cursor paging like
 * the other lists. One function for `GET /audit` and the console's audit screen.
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { auditLog, users } from '@linebot-edge/shared/schema';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, paginate } from '../api/cursor';
import type { AuditAction } from '../audit/record';

export interface AuditQuery {
  action?: AuditAction;
  /** The company account that acted. */
  userId?: number;
  /** Our UUID or LINE's id of the group or room. */
  groupId?: string;
  /** The `nextCursor` of the previous page. */
  before?: string;
  limit: number;
}

/**
 * The id alone orders the trail: it grows with every insert, whereas `at` is the inserting
 * transaction's start (two entries can share it, and a later insert can carry an earlier time).
 */
export async function listAudit(db: Queryable, q: AuditQuery) {
  const cursor = decodeCursor(q.before, 'int');
  // The chat by our UUID or LINE's id, as every list takes it (the acting LINE user is `sender`).
  const where = chatFilters(
    { groupId: q.groupId },
    { lineGroupId: auditLog.lineGroupId, lineUserId: auditLog.actorLineUserId },
  );
  if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.userId !== undefined) where.push(eq(auditLog.actorUserId, q.userId));
  if (cursor) where.push(lt(auditLog.id, cursor.id));
  const rows = await db
    .select({
      a: auditLog,
      username: users.username,
      actorLineId: sender.lineUserId,
      actorName: sender.displayName,
      groupLineId: chat.lineGroupId,
      groupName: chat.name,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .leftJoin(sender, eq(sender.id, auditLog.actorLineUserId))
    .leftJoin(chat, eq(chat.id, auditLog.lineGroupId))
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.a.at, id: r.a.id }));
  return {
    items: items.map((r) => ({
      item: {
        id: r.a.id,
        at: r.a.at.toISOString(),
        action: r.a.action,
        via: r.a.via,
        userId: r.a.actorUserId,
        username: r.username,
        lineUserId: r.actorLineId,
        operator: r.a.operator,
        lineGroupId: r.groupLineId,
        targetType: r.a.targetType,
        targetId: r.a.targetId,
        client: r.a.client,
        details: (r.a.details ?? {}) as Record<string, unknown>,
      },
      /** Names for the console (what LINE users set: shown as text); not part of the API's item. */
      names: { actorName: r.actorName, groupName: r.groupName },
    })),
    nextCursor,
  };
}

export type AuditItem = Awaited<ReturnType<typeof listAudit>>['items'][number]['item'];
export type AuditNames = Awaited<ReturnType<typeof listAudit>>['items'][number]['names'];
