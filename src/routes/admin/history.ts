/** Stored messages and files, newest first, filtered by group and sender, with cursor paging. */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { fileSyncStatuses, lineFiles, lineMessages } from '../../db/schema';
import { adminRouter, chat, chatFilters, sender } from './context';
import { decodeCursor, newestFirst, olderThan, paginate } from './cursor';
import { ChatQuery, Cursor, errorResponses, FileSchema, iso, json, Limit, MessageSchema, page } from './schemas';

export const historyRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/messages',
      operationId: 'listMessages',
      summary: 'Messages of every chat, both directions, newest first',
      request: { query: z.object({ ...ChatQuery, before: Cursor, limit: Limit }) },
      responses: { 200: json(page(MessageSchema, 'MessagePage'), 'A page of messages'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before, 'uuid');
      const where = chatFilters(q, lineMessages);
      if (cursor) where.push(olderThan(lineMessages.sentAt, lineMessages.id, cursor));
      const rows = await c
        .get('db')
        .select({ m: lineMessages, userLineId: sender.lineUserId, senderName: sender.displayName, groupLineId: chat.lineGroupId, groupName: chat.name })
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
            isFromBot: r.m.isFromBot,
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
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/files',
      operationId: 'listFiles',
      summary: 'Files (media LINE hosts) with their NAS sync state, newest first',
      request: {
        query: z.object({
          ...ChatQuery,
          fileType: z.enum(['image', 'video', 'audio', 'file']).optional(),
          syncStatus: z.enum(fileSyncStatuses).optional(),
          before: Cursor,
          limit: Limit,
        }),
      },
      responses: { 200: json(page(FileSchema, 'FilePage'), 'A page of files'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before, 'uuid');
      const where = chatFilters(q, lineMessages);
      if (q.fileType) where.push(eq(lineFiles.fileType, q.fileType));
      if (q.syncStatus) where.push(eq(lineFiles.syncStatus, q.syncStatus));
      if (cursor) where.push(olderThan(lineFiles.createdAt, lineFiles.id, cursor));
      const rows = await c
        .get('db')
        .select({
          f: lineFiles,
          lineMessageId: lineMessages.messageId,
          sentAt: lineMessages.sentAt,
          userLineId: sender.lineUserId,
          groupLineId: chat.lineGroupId,
        })
        .from(lineFiles)
        .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
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
            lineMessageId: r.lineMessageId,
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
