/**
 * Project membership, kept current by the company system (its source of truth): list, set (add or
 * change the role) and remove. A member of a project searches and sends within its NAS folder, in
 * its groups and in 1:1 chats (src/access/policy.ts); a change counts from the next message.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { listMembers, removeMember, setMember } from '../../domain/members';
import { adminRouter, apiActor, notFound } from './context';
import { errorResponses, json, MemberSchema, SetMemberSchema, UserId, Uuid } from '../../api/schemas';

const MemberParams = z.object({ id: Uuid, userId: UserId });

export const memberRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/projects/{id}/members',
      operationId: 'listProjectMembers',
      summary: "List a project's members with their roles, by username",
      request: { params: z.object({ id: Uuid }) },
      responses: {
        200: json(z.object({ items: z.array(MemberSchema) }).openapi('ProjectMemberList'), 'Members'),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const items = await listMembers(c.get('db'), id);
      if (!items) throw notFound('project', id);
      return c.json({ items }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/projects/{id}/members/{userId}',
      operationId: 'setProjectMember',
      summary: 'Make an account a member of the project with this role (201 added, 200 changed or unchanged)',
      request: {
        params: MemberParams,
        body: { content: { 'application/json': { schema: SetMemberSchema } }, required: true },
      },
      responses: {
        201: json(MemberSchema, 'Added'),
        200: json(MemberSchema, 'Role changed, or already so'),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) => {
      const { id, userId } = c.req.valid('param');
      const { role } = c.req.valid('json');
      const result = await setMember(c.get('db'), id, userId, role, apiActor(c));
      if (result === 'project_not_found') throw notFound('project', id);
      if (result === 'user_not_found') throw notFound('user', userId);
      c.get('log').info('admin.member_set', { projectPk: id, userId, role, outcome: result.outcome });
      return result.outcome === 'added' ? c.json(result.member, 201) : c.json(result.member, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/projects/{id}/members/{userId}',
      operationId: 'removeProjectMember',
      summary: 'Remove an account from the project (204 also when it was no member)',
      request: { params: MemberParams },
      responses: { 204: { description: 'Removed, or was no member' }, ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { id, userId } = c.req.valid('param');
      const result = await removeMember(c.get('db'), id, userId, apiActor(c));
      if (result === 'project_not_found') throw notFound('project', id);
      c.get('log').info('admin.member_removed', { projectPk: id, userId, outcome: result });
      return c.body(null, 204);
    },
  );
