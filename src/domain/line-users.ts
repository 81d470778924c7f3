/**
 * LINE users the bot knows, with their binding state (the company account they are bound to), and
 * an operator's unbinding. Shared by the console and the management API's `/line-users`.
 */
import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { lineUsers, users } from '@linebot-edge/shared/schema';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';

export interface LineUserQuery {
  /** One LINE user by our UUID (the caller checks the form). */
  id?: string;
  bound?: boolean;
  /** `nextCursor` of the previous page (a foreign one is a 400). */
  before?: string;
  limit: number;
}

export type LineUserItem = Awaited<ReturnType<typeof listLineUsers>>['items'][number];

/** Newest first, keyset-paged. */
export async function listLineUsers(db: Queryable, q: LineUserQuery) {
  const cursor = decodeCursor(q.before, 'uuid');
  const where: SQL[] = [];
  if (q.id !== undefined) where.push(eq(lineUsers.id, q.id));
  if (q.bound !== undefined) where.push(q.bound ? isNotNull(lineUsers.userId) : isNull(lineUsers.userId));
  if (cursor) where.push(olderThan(lineUsers.createdAt, lineUsers.id, cursor));
  const rows = await db
    .select({ lu: lineUsers, u: users })
    .from(lineUsers)
    .leftJoin(users, eq(users.id, lineUsers.userId))
    .where(and(...where))
    .orderBy(...newestFirst(lineUsers.createdAt, lineUsers.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.lu.createdAt, id: r.lu.id }));
  return {
    items: items.map(({ lu, u }) => ({
      id: lu.id,
      lineUserId: lu.lineUserId,
      displayName: lu.displayName,
      pictureUrl: lu.pictureUrl,
      language: lu.language,
      isFriend: lu.isFriend,
      bound: lu.userId !== null,
      user: u ? { id: u.id, username: u.username, displayName: u.displayName, role: u.role } : null,
      createdAt: lu.createdAt.toISOString(),
    })),
    nextCursor,
  };
}

export async function getLineUser(db: Queryable, id: string): Promise<LineUserItem | null> {
  return (await listLineUsers(db, { id, limit: 1 })).items[0] ?? null;
}

/**
 * Unbinds a LINE user from its account (idempotent: an unbound user stays unbound, and only a real
 * unbinding is audited); false when there is no such user.
 */
export async function removeBinding(db: Database, id: string, actor: AuditActor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ userId: lineUsers.userId })
      .from(lineUsers)
      .where(eq(lineUsers.id, id))
      .for('update');
    if (!before) return false;
    if (before.userId === null) return true;
    await tx.update(lineUsers).set({ userId: null, updatedAt: sql`now()` }).where(eq(lineUsers.id, id));
    await recordAudit(tx, {
      action: 'binding.unbound',
      ...actor,
      targetType: 'user',
      targetId: before.userId,
      details: { lineUserPk: id },
    });
    return true;
  });
}
