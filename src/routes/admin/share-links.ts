/** Share links of NAS files sent into chats: list them (newest first, cursor paging) and revoke one. */
import { createRoute, z } from '@hono/zod-openapi';
import { listShareLinks, revokeShareLink } from '../../domain/share-links';
import { adminRouter, apiActor, notFound } from './context';
import {
  ChatQuery,
  Cursor,
  errorResponses,
  json,
  Limit,
  page,
  ShareLinkSchema,
  shareLinkStates,
  Uuid,
} from '../../api/schemas';

export const shareLinkRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/share-links',
      operationId: 'listShareLinks',
      summary: 'Share links of NAS files sent into chats, newest first',
      request: {
        query: z.object({ ...ChatQuery, state: z.enum(shareLinkStates).optional(), before: Cursor, limit: Limit }),
      },
      responses: {
        200: json(page(ShareLinkSchema, 'ShareLinkPage'), 'A page of share links'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { items, nextCursor } = await listShareLinks(c.get('db'), c.req.valid('query'));
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
      const link = await revokeShareLink(c.get('db'), id, apiActor(c));
      if (!link) throw notFound('share link', id);
      c.get('log').info('admin.share_link_revoked', { shareLinkId: id });
      return c.json(link, 200);
    },
  );
