/**
 * The AI paused in a chat by an operator (take over): a group or room by its `line_groups.id`, a
 * 1:1 chat by its user's `line_users.id`. One row per chat (`ai_pauses`); in force while
 * `paused_until` is NULL (until resumed) or later than Postgres' `now()`, always judged in SQL,
 * never against a time read back. Resuming deletes the row; an expired row counts as no pause and
 * is replaced by the next pause of the chat or deleted by the cron's clean-up.
 *
 * The console's forms and the management API pause and resume here, audited (`ai.paused`,
 * `ai.resumed`); the message handler asks `pausedSql` whether a question may go to Claude.
 */
import { and, eq, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { aiPauses, lineGroups, lineUsers } from '@linebot-edge/shared/schema';

/** The chat a pause is for: a group or room, or the 1:1 chat of a LINE user. */
export type PauseChat = { kind: 'group'; id: string } | { kind: 'user'; id: string };

export interface PauseItem {
  chatType: 'group' | 'user';
  /** line_groups.id of a group or room; null for a 1:1 chat. */
  groupId: string | null;
  /** line_users.id of a 1:1 chat's user; null for a group or room. */
  lineUserId: string | null;
  pausedAt: string;
  /** Null: until an operator resumes it. */
  pausedUntil: string | null;
  /** The operator (Access e-mail, `token:<session>`) or `api`. */
  pausedBy: string;
  /** When the "a person is handling this chat" notice of this pause was sent, if it was. */
  noticeSentAt: string | null;
}

/** The pause is in force now, by Postgres' clock. */
const inForce = sql`(${aiPauses.pausedUntil} IS NULL OR ${aiPauses.pausedUntil} > now())`;

/** Where an audit entry of the chat's pause points: the group (so the trail's chat filter finds it), or the user. */
const auditTarget = (chat: PauseChat) => ({
  lineGroupId: chat.kind === 'group' ? chat.id : null,
  targetType: chat.kind === 'group' ? 'line_group' : 'line_user',
  targetId: chat.id,
});

const chatColumn = (chat: PauseChat) => (chat.kind === 'group' ? aiPauses.lineGroupId : aiPauses.lineUserId);

/** SQL true while the chat's AI is paused (for a query that reads other things in the same round trip). */
export const pausedSql = (chat: PauseChat): SQL =>
  sql`EXISTS (SELECT 1 FROM ${aiPauses} WHERE ${chatColumn(chat)} = ${chat.id} AND ${inForce})`;

const toItem = (r: typeof aiPauses.$inferSelect): PauseItem => ({
  chatType: r.lineGroupId !== null ? 'group' : 'user',
  groupId: r.lineGroupId,
  lineUserId: r.lineUserId,
  pausedAt: r.pausedAt.toISOString(),
  pausedUntil: r.pausedUntil?.toISOString() ?? null,
  pausedBy: r.pausedBy,
  noticeSentAt: r.noticeSentAt?.toISOString() ?? null,
});

/** The chat's pause in force, or null. */
export async function pauseOf(db: Queryable, chat: PauseChat): Promise<PauseItem | null> {
  const [row] = await db
    .select()
    .from(aiPauses)
    .where(and(eq(chatColumn(chat), chat.id), inForce));
  return row ? toItem(row) : null;
}

/**
 * The pauses in force: all of them, or those of the given groups and users (a page of a list),
 * by the chat's id.
 */
export async function pausesIn(
  db: Queryable,
  chats: { groupIds?: string[]; lineUserIds?: string[] } = {},
): Promise<Map<string, PauseItem>> {
  const which: SQL[] = [];
  if (chats.groupIds?.length) which.push(inArray(aiPauses.lineGroupId, chats.groupIds));
  if (chats.lineUserIds?.length) which.push(inArray(aiPauses.lineUserId, chats.lineUserIds));
  if ((chats.groupIds || chats.lineUserIds) && which.length === 0) return new Map();
  const rows = await db
    .select()
    .from(aiPauses)
    .where(and(inForce, which.length ? or(...which) : undefined))
    .orderBy(aiPauses.pausedAt);
  return new Map(rows.map((r) => [(r.lineGroupId ?? r.lineUserId)!, toItem(r)]));
}

/**
 * Pauses the chat's AI for `hours` (null: until resumed), replacing a pause in force or an expired
 * row; audited. A pause changed while in force is the same take-over: its notice, if sent, is not
 * sent again. Null: no such group or LINE user.
 */
export async function pauseAi(
  db: Database,
  chat: PauseChat,
  hours: number | null,
  actor: AuditActor,
): Promise<PauseItem | null> {
  return db.transaction(async (tx) => {
    if (!(await chatExists(tx, chat))) return null;
    const pausedBy = (actor.operator ?? actor.via).slice(0, 256);
    const pausedUntil = hours === null ? null : sql`now() + make_interval(hours => ${hours}::int)`;
    const [row] = await tx
      .insert(aiPauses)
      .values({
        lineGroupId: chat.kind === 'group' ? chat.id : null,
        lineUserId: chat.kind === 'user' ? chat.id : null,
        pausedUntil,
        pausedBy,
      })
      .onConflictDoUpdate({
        target: chatColumn(chat),
        set: {
          pausedAt: sql`now()`,
          pausedUntil,
          pausedBy,
          // A new pause (the old one had expired) may say its notice once more.
          noticeSentAt: sql`CASE WHEN ${inForce} THEN ${aiPauses.noticeSentAt} END`,
        },
      })
      .returning();
    const item = toItem(row!);
    await recordAudit(tx, {
      action: 'ai.paused',
      ...actor,
      ...auditTarget(chat),
      details: { hours, until: item.pausedUntil },
    });
    return item;
  });
}

/** Whether the group, or the LINE user, exists. */
async function chatExists(db: Queryable, chat: PauseChat): Promise<boolean> {
  const rows =
    chat.kind === 'group'
      ? await db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.id, chat.id))
      : await db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.id, chat.id));
  return rows.length > 0;
}

/**
 * Resumes the chat's AI: deletes its row; audited when a pause was in force (`resumed`), else
 * `not_paused` (an expired row goes too); `not_found`: no such group or LINE user.
 */
export async function resumeAi(
  db: Database,
  chat: PauseChat,
  actor: AuditActor,
): Promise<'resumed' | 'not_paused' | 'not_found'> {
  return db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(aiPauses)
      .where(eq(chatColumn(chat), chat.id))
      .returning({ inForce: sql<boolean>`${inForce}` });
    if (!deleted) return (await chatExists(tx, chat)) ? 'not_paused' : 'not_found';
    if (!deleted.inForce) return 'not_paused';
    await recordAudit(tx, { action: 'ai.resumed', ...actor, ...auditTarget(chat) });
    return 'resumed';
  });
}

/**
 * Claims the pause's one notice ("a person is handling this chat"), in the asking event's
 * transaction: true once per pause, by a conditional UPDATE, whatever runs at the same time.
 */
export async function claimPauseNotice(db: Queryable, chat: PauseChat): Promise<boolean> {
  const claimed = await db
    .update(aiPauses)
    .set({ noticeSentAt: sql`now()` })
    .where(and(eq(chatColumn(chat), chat.id), inForce, isNull(aiPauses.noticeSentAt)))
    .returning({ id: aiPauses.id });
  return claimed.length > 0;
}

/** Deletes the pauses that have expired (the cron's clean-up); how many. */
export async function deleteExpiredPauses(db: Queryable): Promise<number> {
  const deleted = await db.delete(aiPauses).where(lte(aiPauses.pausedUntil, sql`now()`)).returning({ id: aiPauses.id });
  return deleted.length;
}
