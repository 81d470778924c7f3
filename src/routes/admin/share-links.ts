/** Share links of NAS files sent into chats: list them (newest first, cursor paging) and revoke one. */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, gt, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { shareLinks } from '../../db/schema';
import { shareLinkState } from '../../nas/share-links';
import { adminRouter, chat, chatFilters, notFound, sender } from './context';
import { decodeCursor, newestFirst, olderThan, paginate } from './cursor';
import { ChatQuery, Cursor, errorResponses, iso, json, Limit, page, ShareLinkSchema, shareLinkStates, Uuid } from './schemas';

const stateFilter: Record<(typeof shareLinkStates)[number], () => SQL> = {
  active: () => and(isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, sql`now()`))!,
  expired: () => and(isNull(shareLinks.revokedAt), lte(shareLinks.expiresAt, sql`now()`))!,
  revoked: () => isNotNull(shareLinks.revokedAt),
};

async function loadLinks(db: Database, where: SQL[], limit: number) {
  const rows = await db
    .select({ l: shareLinks, userLineId: sender.lineUserId, groupLineId: chat.lineGroupId })
    .from(shareLinks)
    .leftJoin(sender, eq(sender.id, shareLinks.lineUserId))
    .leftJoin(chat, eq(chat.id, shareLinks.lineGroupId))
    .where(and(...where))
    .orderBy(...newestFirst(shareLinks.createdAt, shareLinks.id))
    .limit(limit);
  const now = new Date();
  return rows.map((r) => ({
    row: r.l,
    item: {
      id: r.l.id,
      sendRequestId: r.l.sendRequestId,
      fileName: r.l.fileName,
      contentType: r.l.contentType,
      size: r.l.size,
      state: shareLinkState(r.l, now),
      lineUserId: r.userLineId,
      lineGroupId: r.groupLineId,
      expiresAt: r.l.expiresAt.toISOString(),
      revokedAt: iso(r.l.revokedAt),
      downloadCount: r.l.downloadCount,
      lastDownloadedAt: iso(r.l.lastDownloadedAt),
      createdAt: r.l.createdAt.toISOString(),
    },
  }));
}

export const shareLinkRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/share-links',
      operationId: 'listShareLinks',
      summary: 'Share links of NAS files sent into chats, newest first',
      request: { query: z.object({ ...ChatQuery, state: z.enum(shareLinkStates).optional(), before: Cursor, limit: Limit }) },
      responses: { 200: json(page(ShareLinkSchema, 'ShareLinkPage'), 'A page of share links'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before, 'uuid');
      const where = chatFilters(q, shareLinks);
      if (q.state) where.push(stateFilter[q.state]());
      if (cursor) where.push(olderThan(shareLinks.createdAt, shareLinks.id, cursor));
      const rows = await loadLinks(c.get('db'), where, q.limit + 1);
      const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.row.createdAt, id: r.row.id }));
      return c.json({ items: items.map((r) => r.item), nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/share-links/{id}',
      operationId: 'revokeShareLink',
      summary: 'Revoke a share link: it answers 410 from now on (idempotent: a revoked link keeps its first revokedAt)',
      request: { params: z.object({ id: Uuid }) },
      responses: { 200: json(ShareLinkSchema, 'The revoked link'), ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const db = c.get('db');
      await db.update(shareLinks).set({ revokedAt: sql`now()` }).where(and(eq(shareLinks.id, id), isNull(shareLinks.revokedAt)));
      const [link] = await loadLinks(db, [eq(shareLinks.id, id)], 1);
      if (!link) throw notFound('share link', id);
      c.get('log').info('admin.share_link_revoked', { shareLinkId: id });
      return c.json(link.item, 200);
    },
  );
