/** Projects of the company system (the minimal `projects` table). */
import { createRoute, z } from '@hono/zod-openapi';
import { asc } from 'drizzle-orm';
import { projects } from '../../db/schema';
import { ApiError } from '../../http/errors';
import { adminRouter, isUniqueViolation } from './context';
import { CreateProjectSchema, errorResponses, json, ProjectSchema } from './schemas';

export const projectRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/projects',
      operationId: 'createProject',
      summary: 'Create a project',
      request: { body: { content: { 'application/json': { schema: CreateProjectSchema } }, required: true } },
      responses: { 201: json(ProjectSchema, 'Created'), ...errorResponses(400, 401, 409, 413, 415) },
    }),
    async (c) => {
      const { name } = c.req.valid('json');
      try {
        const [row] = await c.get('db').insert(projects).values({ name }).returning({ id: projects.id, name: projects.name });
        return c.json(row!, 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError(409, 'conflict', `project ${name} already exists`);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/projects',
      operationId: 'listProjects',
      summary: 'List projects',
      responses: { 200: json(z.object({ items: z.array(ProjectSchema) }).openapi('ProjectList'), 'Projects'), ...errorResponses(401) },
    }),
    async (c) => {
      const rows = await c.get('db').select({ id: projects.id, name: projects.name }).from(projects).orderBy(asc(projects.name)).limit(1000);
      return c.json({ items: rows }, 200);
    },
  );
