/** LINE users the bot knows, with their binding state; admins can unbind them. */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { lineUsers, users } from '../../db/schema';
import { adminRouter, notFound } from './context';
import { decodeCursor, newestFirst, olderThan, paginate } from './cursor';
import { BoolQuery, Cursor, errorResponses, json, Limit, LineUserSchema, page, Uuid } from './schemas';

export const lineUserRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/line-users',
      operationId: 'listLineUsers',
      summary: 'List LINE users, newest first, with whether and to whom each is bound',
      request: { query: z.object({ bound: BoolQuery.optional(), limit: Limit, before: Cursor }) },
      responses: { 200: json(page(LineUserSchema, 'LineUserPage'), 'A page of LINE users'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { bound, limit, before } = c.req.valid('query');
      const cursor = decodeCursor(before, 'uuid');
      const where: SQL[] = [];
      if (bound !== undefined) where.push(bound ? isNotNull(lineUsers.userId) : isNull(lineUsers.userId));
      if (cursor) where.push(olderThan(lineUsers.createdAt, lineUsers.id, cursor));
      const rows = await c
        .get('db')
        .select({ lu: lineUsers, u: users })
        .from(lineUsers)
        .leftJoin(users, eq(users.id, lineUsers.userId))
        .where(and(...where))
        .orderBy(...newestFirst(lineUsers.createdAt, lineUsers.id))
        .limit(limit + 1);
      const { items, nextCursor } = paginate(rows, limit, (r) => ({ at: r.lu.createdAt, id: r.lu.id }));
      return c.json(
        {
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
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/line-users/{id}/binding',
      operationId: 'unbindLineUser',
      summary: 'Unbind a LINE user from its account (idempotent)',
      request: { params: z.object({ id: Uuid }) },
      responses: { 204: { description: 'Unbound' }, ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await c
        .get('db')
        .update(lineUsers)
        .set({ userId: null, updatedAt: sql`now()` })
        .where(eq(lineUsers.id, id))
        .returning({ id: lineUsers.id });
      if (!row) throw notFound('LINE user', id);
      c.get('log').info('admin.line_user_unbound', { lineUserPk: id });
      return c.body(null, 204);
    },
  );
