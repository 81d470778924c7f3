/**
 * Reading the audit trail: newest first, filtered by action, operator, account and chat, cursor
 * paging like the other lists. One function for `GET /audit` and the console's audit screen.
 */
import { and, desc, eq, like, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client';
import { auditLog, lineUsers, users } from '@linebot-edge/shared/schema';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, paginate } from '../api/cursor';
import { escapeLike } from '../lib/like';
import { isUuid } from '../lib/uuid';

export interface AuditQuery {
  /** One action, or a family by its dotted prefix (`nas.`): src/audit/filters.ts checks it. */
  action?: string;
  /** The console operator or `api`, exactly; ending with `*`, a prefix. */
  operator?: string;
  /** The company account that acted. */
  userId?: number;
  /** Our UUID or LINE's id of the group or room. */
  groupId?: string;
  /** Our UUID or LINE's id of a LINE user: what they did, and what was done to their 1:1 chat. */
  lineUserId?: string;
  /** The `nextCursor` of the previous page. */
  before?: string;
  limit: number;
}

/** Exact, or every value starting with the given prefix (`nas.`, `token:*`): the prefix as a literal. */
const exactOrPrefix = (column: typeof auditLog.action | typeof auditLog.operator, value: string, prefix: boolean) =>
  prefix ? like(column, `${escapeLike(value)}%`) : eq(column, value);

/**
 * A LINE user's entries: those they acted in (`sender` is joined on the actor), and those whose
 * target is their 1:1 chat (`line_user`, by our UUID: what an operator did to it). A LINE id is
 * looked up; anything else matches nothing, as in every chat filter.
 */
function lineUserFilter(ref: string): SQL | undefined {
  if (isUuid(ref))
    return or(
      eq(auditLog.actorLineUserId, ref),
      and(eq(auditLog.targetType, 'line_user'), eq(auditLog.targetId, ref.toLowerCase())),
    );
  return or(
    eq(sender.lineUserId, ref),
    and(
      eq(auditLog.targetType, 'line_user'),
      sql`${auditLog.targetId} IN (SELECT ${lineUsers.id}::text FROM ${lineUsers} WHERE ${lineUsers.lineUserId} = ${ref})`,
    ),
  );
}

/** The LINE user an entry's target names (`line_user`: an operator acted on their 1:1 chat). */
const targetUser = alias(lineUsers, 'target_user');

interface ChatColumns {
  a: { lineGroupId: string | null; actorLineUserId: string | null };
  groupLineId: string | null;
  groupName: string | null;
  actorLineId: string | null;
  actorName: string | null;
  targetUserId: string | null;
  targetUserLineId: string | null;
  targetUserName: string | null;
}

/**
 * The chat an entry names, by our id (the console links to it): its group or room; else the 1:1
 * chat of the LINE user it targets; else the 1:1 chat the LINE user acted in (a command there).
 */
function chatOf(r: ChatColumns) {
  if (r.a.lineGroupId) return { kind: 'group' as const, id: r.a.lineGroupId, lineId: r.groupLineId, name: r.groupName };
  if (r.targetUserId)
    return { kind: 'user' as const, id: r.targetUserId, lineId: r.targetUserLineId, name: r.targetUserName };
  if (r.a.actorLineUserId)
    return { kind: 'user' as const, id: r.a.actorLineUserId, lineId: r.actorLineId, name: r.actorName };
  return null;
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
  if (q.action) where.push(exactOrPrefix(auditLog.action, q.action, q.action.endsWith('.')));
  if (q.operator) {
    const prefix = q.operator.endsWith('*');
    where.push(exactOrPrefix(auditLog.operator, prefix ? q.operator.slice(0, -1) : q.operator, prefix));
  }
  if (q.lineUserId) where.push(lineUserFilter(q.lineUserId)!);
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
      targetUserId: targetUser.id,
      targetUserLineId: targetUser.lineUserId,
      targetUserName: targetUser.displayName,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .leftJoin(sender, eq(sender.id, auditLog.actorLineUserId))
    .leftJoin(chat, eq(chat.id, auditLog.lineGroupId))
    .leftJoin(targetUser, and(eq(auditLog.targetType, 'line_user'), eq(sql`${targetUser.id}::text`, auditLog.targetId)))
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
      /** The chat the entry names, for the console's links: a group, or a 1:1 chat by its user. */
      chat: chatOf(r),
    })),
    nextCursor,
  };
}

export type AuditItem = Awaited<ReturnType<typeof listAudit>>['items'][number]['item'];
export type AuditNames = Awaited<ReturnType<typeof listAudit>>['items'][number]['names'];
export type AuditChat = Awaited<ReturnType<typeof listAudit>>['items'][number]['chat'];
