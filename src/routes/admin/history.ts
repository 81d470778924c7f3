/** Stored messages and files, newest first, filtered by group and sender, with cursor paging. */
import { createRoute, z } from '@hono/zod-openapi';
import { fileSyncStatuses } from '@linebot-edge/shared/schema';
import { listFiles } from '../../domain/files';
import { listMessages } from '../../domain/messages';
import { adminRouter } from './context';
import { ChatQuery, Cursor, errorResponses, FileSchema, json, Limit, MessageSchema, page } from '../../api/schemas';

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
    async (c) => c.json(await listMessages(c.get('db'), c.req.valid('query')), 200),
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
    async (c) => c.json(await listFiles(c.get('db'), c.req.valid('query')), 200),
  );
