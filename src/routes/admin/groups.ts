/** LINE groups and rooms: list them; set AI replies, their instructions and the bound project. */
import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { lineGroups, projects } from '../../db/schema';
import { updateGroup } from '../../domain/groups';
import { adminRouter, instructionsLog, notFound, projectColumns } from './context';
import { BoolQuery, errorResponses, GroupSchema, iso, json, PatchGroupSchema, Uuid } from './schemas';

async function loadGroups(db: Database, where?: SQL) {
  const rows = await db
    .select({ g: lineGroups, p: projectColumns })
    .from(lineGroups)
    .leftJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(where)
    .orderBy(asc(lineGroups.createdAt), asc(lineGroups.id))
    .limit(1000);
  return rows.map(({ g, p }) => ({
    id: g.id,
    lineGroupId: g.lineGroupId,
    sourceType: g.sourceType,
    name: g.name,
    pictureUrl: g.pictureUrl,
    memberCount: g.memberCount,
    isActive: g.isActive,
    allowAiResponse: g.allowAiResponse,
    aiInstructions: g.aiInstructions,
    project: p?.id ? p : null,
    joinedAt: iso(g.joinedAt),
    leftAt: iso(g.leftAt),
  }));
}

export const groupRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups and rooms, oldest first',
      request: { query: z.object({ active: BoolQuery.optional() }) },
      responses: { 200: json(z.object({ items: z.array(GroupSchema) }).openapi('GroupList'), 'Groups and rooms'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { active } = c.req.valid('query');
      const where = active === undefined ? undefined : eq(lineGroups.isActive, active);
      return c.json({ items: await loadGroups(c.get('db'), where) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/groups/{id}',
      operationId: 'updateGroup',
      summary: 'Allow or stop AI replies in a group, set its AI instructions; bind it to a project or unbind it (projectId null)',
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
      const result = await updateGroup(db, id, patch);
      if (result === 'project_not_found') throw notFound('project', patch.projectId!);
      if (result === 'group_not_found') throw notFound('group', id);
      // The instructions are the admin's free text: the log says whether they were set, not what they say.
      const { aiInstructions, ...rest } = patch;
      c.get('log').info('admin.group_updated', { groupPk: id, ...rest, ...instructionsLog(aiInstructions) });
      const [group] = await loadGroups(db, eq(lineGroups.id, id));
      return c.json(group!, 200);
    },
  );
