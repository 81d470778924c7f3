/** Stored messages and files, newest first, filtered by group and sender, with cursor paging. */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { lineFiles, lineGroups, lineMessages, lineUsers } from '../../db/schema';
import { decodeCursor, newestFirst, olderThan, paginate } from './cursor';
import { adminRouter } from './context';
import { Cursor, errors, FileSchema, iso, json, Limit, MessageSchema, page } from './schemas';

/** A group or sender is named by our numeric id or by LINE's own id (C..., R..., U...). */
const Ref = z.string().min(1).max(64).optional().openapi({ description: 'numeric id or LINE id' });

const sender = alias(lineUsers, 'sender');
const chat = alias(lineGroups, 'chat');

function filters(q: { groupId?: string; lineUserId?: string }): SQL[] {
  const where: SQL[] = [];
  if (q.groupId) where.push(/^\d+$/.test(q.groupId) ? eq(chat.id, Number(q.groupId)) : eq(chat.lineGroupId, q.groupId));
  if (q.lineUserId) {
    where.push(/^\d+$/.test(q.lineUserId) ? eq(sender.id, Number(q.lineUserId)) : eq(sender.lineUserId, q.lineUserId));
  }
  return where;
}

export const historyRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/messages',
      summary: 'Messages, newest first',
      request: { query: z.object({ groupId: Ref, lineUserId: Ref, before: Cursor, limit: Limit }) },
      responses: { 200: json(page(MessageSchema, 'MessagePage'), 'A page of messages'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before);
      const where = filters(q);
      if (cursor) where.push(olderThan(lineMessages.sentAt, lineMessages.id, cursor));
      const rows = await c
        .get('db')
        .select({ m: lineMessages, userLineId: sender.lineUserId, senderName: sender.displayName, groupLineId: chat.lineGroupId, groupName: chat.groupName })
        .from(lineMessages)
        .leftJoin(sender, eq(sender.id, lineMessages.lineUserId))
        .leftJoin(chat, eq(chat.id, lineMessages.lineGroupId))
        .where(and(...where))
        .orderBy(...newestFirst(lineMessages.sentAt, lineMessages.id))
        .limit(q.limit + 1);
      const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.m.sentAt, id: r.m.id }));
      return c.json(
        {
          items: items.map((r) => ({
            id: r.m.id,
            messageId: r.m.messageId,
            messageType: r.m.messageType,
            sourceType: r.m.sourceType,
            content: r.m.content,
            lineUserId: r.userLineId,
            senderName: r.senderName,
            lineGroupId: r.groupLineId,
            groupName: r.groupName,
            sentAt: r.m.sentAt.toISOString(),
            unsentAt: iso(r.m.unsentAt),
            editedAt: iso(r.m.editedAt),
          })),
          nextCursor,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/files',
      summary: 'Files (media LINE hosts) with their NAS sync state, newest first',
      request: {
        query: z.object({
          groupId: Ref,
          lineUserId: Ref,
          fileType: z.enum(['image', 'video', 'audio', 'file']).optional(),
          syncStatus: z.enum(['pending', 'synced', 'unavailable', 'failed', 'removed']).optional(),
          before: Cursor,
          limit: Limit,
        }),
      },
      responses: { 200: json(page(FileSchema, 'FilePage'), 'A page of files'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before);
      const where = filters(q);
      if (q.fileType) where.push(eq(lineFiles.fileType, q.fileType));
      if (q.syncStatus) where.push(eq(lineFiles.syncStatus, q.syncStatus));
      if (cursor) where.push(olderThan(lineFiles.createdAt, lineFiles.id, cursor));
      const rows = await c
        .get('db')
        .select({ f: lineFiles, sentAt: lineMessages.sentAt, userLineId: sender.lineUserId, groupLineId: chat.lineGroupId })
        .from(lineFiles)
        .innerJoin(lineMessages, eq(lineMessages.messageId, lineFiles.messageId))
        .leftJoin(sender, eq(sender.id, lineMessages.lineUserId))
        .leftJoin(chat, eq(chat.id, lineMessages.lineGroupId))
        .where(and(...where))
        .orderBy(...newestFirst(lineFiles.createdAt, lineFiles.id))
        .limit(q.limit + 1);
      const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.f.createdAt, id: r.f.id }));
      return c.json(
        {
          items: items.map((r) => ({
            id: r.f.id,
            messageId: r.f.messageId,
            fileType: r.f.fileType,
            fileName: r.f.fileName,
            fileSize: r.f.fileSize,
            mimeType: r.f.mimeType,
            duration: r.f.duration,
            nasPath: r.f.nasPath,
            syncStatus: r.f.syncStatus,
            lineUserId: r.userLineId,
            lineGroupId: r.groupLineId,
            sentAt: r.sentAt.toISOString(),
            createdAt: r.f.createdAt.toISOString(),
          })),
          nextCursor,
        },
        200,
      );
    },
  );
