/** LINE groups and rooms: list them; set AI replies, their instructions and the bound project. */
import { createRoute, z } from '@hono/zod-openapi';
import { getGroup, listGroups, updateGroup } from '../../domain/groups';
import { adminRouter, apiActor, instructionsLog, notFound } from './context';
import { BoolQuery, errorResponses, GroupSchema, json, PatchGroupSchema, Uuid } from '../../api/schemas';

export const groupRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups and rooms, oldest first',
      request: { query: z.object({ active: BoolQuery.optional() }) },
      responses: {
        200: json(z.object({ items: z.array(GroupSchema) }).openapi('GroupList'), 'Groups and rooms'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { active } = c.req.valid('query');
      // The console's list, unpaged: up to 1000, oldest first.
      const { items } = await listGroups(c.get('db'), { active });
      return c.json({ items }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/groups/{id}',
      operationId: 'updateGroup',
      summary:
        'Allow or stop AI replies in a group, set its AI instructions; bind it to a project or unbind it (projectId null)',
      request: {
        params: z.object({ id: Uuid }),
        body: { content: { 'application/json': { schema: PatchGroupSchema } }, required: true },
      },
      responses: { 200: json(GroupSchema, 'The updated group'), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const db = c.get('db');
      // The same change the console's forms make (src/domain/groups.ts).
      const result = await updateGroup(db, id, patch, apiActor(c));
      if (result === 'project_not_found') throw notFound('project', patch.projectId!);
      if (result === 'group_not_found') throw notFound('group', id);
      // The instructions are the admin's free text: the log says whether they were set, not what they say.
      const { aiInstructions, ...rest } = patch;
      c.get('log').info('admin.group_updated', { groupPk: id, ...rest, ...instructionsLog(aiInstructions) });
      return c.json((await getGroup(db, id))!, 200);
    },
  );
