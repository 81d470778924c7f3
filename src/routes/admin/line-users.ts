/** LINE users the bot knows, with their binding state; admins can unbind them. */
import { createRoute, z } from '@hono/zod-openapi';
import { listLineUsers, removeBinding } from '../../domain/line-users';
import { adminRouter, apiActor, notFound } from './context';
import { BoolQuery, Cursor, errorResponses, json, Limit, LineUserSchema, page, Uuid } from '../../api/schemas';

export const lineUserRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/line-users',
      operationId: 'listLineUsers',
      summary: 'List LINE users, newest first, with whether and to whom each is bound',
      request: { query: z.object({ bound: BoolQuery.optional(), limit: Limit, before: Cursor }) },
      responses: {
        200: json(page(LineUserSchema, 'LineUserPage'), 'A page of LINE users'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => c.json(await listLineUsers(c.get('db'), c.req.valid('query')), 200),
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
      if (!(await removeBinding(c.get('db'), id, apiActor(c)))) throw notFound('LINE user', id);
      c.get('log').info('admin.line_user_unbound', { lineUserPk: id });
      return c.body(null, 204);
    },
  );
