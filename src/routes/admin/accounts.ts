/** Company accounts (the minimal `users` table) and their binding codes. */
import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { issueBindingCode } from '../../bot/binding';
import { users } from '../../db/schema';
import { ApiError } from '../../http/errors';
import { adminRouter, isUniqueViolation, notFound } from './context';
import { BindingCodeSchema, CreateUserSchema, errorResponses, json, UserId, UserSchema } from './schemas';

const toUser = (u: typeof users.$inferSelect) => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role });

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
      try {
        const [row] = await c.get('db').insert(users).values(body).returning();
        return c.json(toUser(row!), 201);
      } catch (err) {
        // The unique index is on lower(username): "Alice" after "alice" lands here too.
        if (isUniqueViolation(err)) throw new ApiError(409, 'conflict', `username ${body.username} already exists`);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'List accounts',
      responses: { 200: json(z.object({ items: z.array(UserSchema) }).openapi('UserList'), 'Accounts'), ...errorResponses(401) },
    }),
    async (c) => {
      const rows = await c.get('db').select().from(users).orderBy(asc(users.id)).limit(1000);
      return c.json({ items: rows.map(toUser) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users/{userId}/binding-code',
      operationId: 'issueBindingCode',
      summary: 'Issue a one-time binding code (6 digits, 10 minutes); revokes the account\'s earlier codes',
      request: { params: z.object({ userId: UserId }) },
      responses: { 201: json(BindingCodeSchema, 'Issued'), ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const db = c.get('db');
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
      if (!user) throw notFound('user', userId);
      const { code, expiresAt } = await issueBindingCode(db, userId);
      // The code itself is a secret for ten minutes: never logged.
      c.get('log').info('admin.binding_code_issued', { userId, expiresAt });
      return c.json({ code, expiresAt: expiresAt.toISOString() }, 201);
    },
  );
