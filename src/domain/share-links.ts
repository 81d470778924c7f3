/**
 * Share links of NAS files sent into chats: the list (newest first, cursor paging, filters by
 * chat and state) and revoking one. One function each for the management API's
 * `GET /share-links` and `DELETE /share-links/{id}` and the console's share links screen.
 */
import { and, eq, gt, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { shareLinks } from '@linebot-edge/shared/schema';
import { expiredByDb, shareLinkState, type ShareLinkState } from '../nas/share-links';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';
import { iso } from '../api/dates';

export interface ShareLinkQuery {
  /** Our UUID or LINE's id of the group or room. */
  groupId?: string;
  /** Our UUID or LINE's id of the asker. */
  lineUserId?: string;
  state?: ShareLinkState;
  /** The `nextCursor` of the previous page. */
  before?: string;
  limit: number;
}

const stateFilter: Record<ShareLinkState, () => SQL> = {
  active: () => and(isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, sql`now()`))!,
  expired: () => and(isNull(shareLinks.revokedAt), lte(shareLinks.expiresAt, sql`now()`))!,
  revoked: () => isNotNull(shareLinks.revokedAt),
};

async function loadLinks(db: Queryable, where: SQL[], limit: number) {
  const rows = await db
    .select({
      l: shareLinks,
      expired: expiredByDb(),
      userLineId: sender.lineUserId,
      senderName: sender.displayName,
      groupLineId: chat.lineGroupId,
      groupName: chat.name,
    })
    .from(shareLinks)
    .leftJoin(sender, eq(sender.id, shareLinks.lineUserId))
    .leftJoin(chat, eq(chat.id, shareLinks.lineGroupId))
    .where(and(...where))
    .orderBy(...newestFirst(shareLinks.createdAt, shareLinks.id))
    .limit(limit);
  return rows.map((r) => ({
    row: r.l,
    item: {
      id: r.l.id,
      sendRequestId: r.l.sendRequestId,
      fileName: r.l.fileName,
      contentType: r.l.contentType,
      size: r.l.size,
      state: shareLinkState(r.l, r.expired),
      lineUserId: r.userLineId,
      lineGroupId: r.groupLineId,
      expiresAt: r.l.expiresAt.toISOString(),
      revokedAt: iso(r.l.revokedAt),
      downloadCount: r.l.downloadCount,
      lastDownloadedAt: iso(r.l.lastDownloadedAt),
      createdAt: r.l.createdAt.toISOString(),
    },
    /** Names for the console (what LINE users set: shown as text); not part of the API's item. */
    names: { senderName: r.senderName, groupName: r.groupName },
  }));
}

export type ShareLinkItem = Awaited<ReturnType<typeof loadLinks>>[number]['item'];
export type ShareLinkNames = Awaited<ReturnType<typeof loadLinks>>[number]['names'];

/** A page of links; a cursor that is not one of this list's is a 400 (ApiError). */
export async function listShareLinks(db: Queryable, q: ShareLinkQuery) {
  const cursor = decodeCursor(q.before, 'uuid');
  const where = chatFilters(q, shareLinks);
  if (q.state) where.push(stateFilter[q.state]());
  if (cursor) where.push(olderThan(shareLinks.createdAt, shareLinks.id, cursor));
  const rows = await loadLinks(db, where, q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.row.createdAt, id: r.row.id }));
  return { items: items.map(({ item, names }) => ({ item, names })), nextCursor };
}

/**
 * Revokes a link (`id` a UUID): `/s/` answers 410 from now on. Idempotent: a revoked link keeps
 * its first revokedAt. The link as it now is, or null when there is none.
 */
export async function revokeShareLink(db: Database, id: string, actor: AuditActor): Promise<ShareLinkItem | null> {
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(shareLinks)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(shareLinks.id, id), isNull(shareLinks.revokedAt)))
      .returning({ id: shareLinks.id, lineGroupId: shareLinks.lineGroupId });
    // Only the first revocation is an act; revoking again changes nothing.
    if (revoked) await auditRevoked(tx, revoked, actor, 'revoked');
    const [link] = await loadLinks(tx, [eq(shareLinks.id, id)], 1);
    return link?.item ?? null;
  });
}

const auditRevoked = (
  db: Queryable,
  link: { id: string; lineGroupId: string | null },
  actor: AuditActor,
  reason: 'revoked' | 'group_project_changed',
) =>
  recordAudit(db, {
    action: 'share_link.revoked',
    ...actor,
    lineGroupId: link.lineGroupId,
    targetType: 'share_link',
    targetId: link.id,
    details: { reason },
  });

/**
 * A group's project changed: its active links are revoked (each audited), in the caller's
 * transaction, so files sent for the old project stop opening with the change. How many.
 */
export async function revokeGroupShareLinks(tx: Queryable, groupPk: string, actor: AuditActor): Promise<number> {
  const revoked = await tx
    .update(shareLinks)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(shareLinks.lineGroupId, groupPk), isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, sql`now()`)))
    .returning({ id: shareLinks.id, lineGroupId: shareLinks.lineGroupId });
  for (const link of revoked) await auditRevoked(tx, link, actor, 'group_project_changed');
  return revoked.length;
}
