/** Company accounts (the minimal `users` table) and their binding codes. */
import { createRoute, z } from '@hono/zod-openapi';
import { formatCode } from '../../domain/binding-code';
import { createAccount, issueCodeFor, listAccounts } from '../../domain/accounts';
import { ApiError } from '../../api/errors';
import { adminRouter, apiActor, notFound } from './context';
import { BindingCodeSchema, CreateUserSchema, errorResponses, json, UserId, UserSchema } from '../../api/schemas';

export const accounts = adminRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      summary: 'Create an account of the company system (usernames are unique whatever their case)',
      request: { body: { content: { 'application/json': { schema: CreateUserSchema } }, required: true } },
      responses: { 201: json(UserSchema, 'Created'), ...errorResponses(400, 401, 409, 413, 415) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const created = await createAccount(c.get('db'), body);
      // "Alice" after "alice" is a conflict too.
      if (created === 'conflict') throw new ApiError(409, 'conflict', `username ${body.username} already exists`);
      return c.json(created, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'List accounts',
      responses: {
        200: json(z.object({ items: z.array(UserSchema) }).openapi('UserList'), 'Accounts'),
        ...errorResponses(401),
      },
    }),
    async (c) => {
      return c.json({ items: await listAccounts(c.get('db')) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users/{userId}/binding-code',
      operationId: 'issueBindingCode',
      summary:
        "Issue a one-time binding code (9 characters, shown K7M-2QX-9PA, 10 minutes); revokes the account's earlier codes",
      request: { params: z.object({ userId: UserId }) },
      responses: { 201: json(BindingCodeSchema, 'Issued'), ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const issued = await issueCodeFor(c.get('db'), userId, apiActor(c));
      if (!issued) throw notFound('user', userId);
      const { code, expiresAt } = issued;
      // The code itself is a secret for ten minutes: never logged.
      c.get('log').info('admin.binding_code_issued', { userId, expiresAt });
      return c.json({ code: formatCode(code), expiresAt: expiresAt.toISOString() }, 201);
    },
  );
