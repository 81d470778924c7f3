/** Projects of the company system (the minimal `projects` table), with their AI instructions and NAS folder. */
import { createRoute, z } from '@hono/zod-openapi';
import { createProject, listProjects, updateProject } from '../../domain/projects';
import { ApiError } from '../../api/errors';
import { adminRouter, apiActor, instructionsLog, notFound } from './context';
import { CreateProjectSchema, errorResponses, json, PatchProjectSchema, ProjectSchema, Uuid } from '../../api/schemas';

const nameTaken = (name: string) => new ApiError(409, 'conflict', `project ${name} already exists`);

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
      const project = c.req.valid('json');
      const row = await createProject(c.get('db'), project, apiActor(c));
      if (row === 'conflict') throw nameTaken(project.name);
      return c.json(row, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/projects',
      operationId: 'listProjects',
      summary: 'List projects',
      responses: {
        200: json(z.object({ items: z.array(ProjectSchema) }).openapi('ProjectList'), 'Projects'),
        ...errorResponses(401),
      },
    }),
    async (c) => {
      return c.json({ items: await listProjects(c.get('db')) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/projects/{id}',
      operationId: 'updateProject',
      summary: 'Rename a project, or set its AI instructions or NAS folder (null clears either)',
      request: {
        params: z.object({ id: Uuid }),
        body: { content: { 'application/json': { schema: PatchProjectSchema } }, required: true },
      },
      responses: { 200: json(ProjectSchema, 'The updated project'), ...errorResponses(400, 401, 404, 409, 413, 415) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const row = await updateProject(c.get('db'), id, patch, apiActor(c));
      if (row === 'conflict') throw nameTaken(patch.name!);
      if (row === 'not_found') throw notFound('project', id);
      c.get('log').info('admin.project_updated', {
        projectPk: id,
        renamed: patch.name !== undefined,
        ...instructionsLog(patch.aiInstructions),
        ...(patch.nasFolder !== undefined ? { nasFolder: patch.nasFolder } : {}),
      });
      return c.json(row, 200);
    },
  );
