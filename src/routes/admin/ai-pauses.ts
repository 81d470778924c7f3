/**
 * The AI paused in a chat (an operator takes over): the pauses in force, and pausing or resuming a
 * group's or room's AI, or a 1:1 chat's by its LINE user. The same change as the console's forms
 * (src/domain/ai-pauses.ts), audited `ai.paused` / `ai.resumed` with via `api`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { pauseAi, pausesIn, resumeAi, type PauseChat } from '../../domain/ai-pauses';
import { adminRouter, apiActor, notFound } from './context';
import { AiPauseSchema, SetAiPauseSchema } from '../../api/ai-pause-schemas';
import { errorResponses, json, Uuid } from '../../api/schemas';

const chats = [
  { path: 'groups', kind: 'group', name: 'Group', what: 'group', noun: 'a group or room' },
  { path: 'line-users', kind: 'user', name: 'LineUser', what: 'LINE user', noun: "a LINE user's 1:1 chat" },
] as const;

const router = adminRouter().openapi(
  createRoute({
    method: 'get',
    path: '/ai-pauses',
    operationId: 'listAiPauses',
    summary: 'The chats whose AI an operator has paused now (pauses in force), oldest first',
    responses: {
      200: json(z.object({ items: z.array(AiPauseSchema) }).openapi('AiPauseList'), 'Pauses in force'),
      ...errorResponses(401),
    },
  }),
  async (c) => c.json({ items: [...(await pausesIn(c.get('db'))).values()] }, 200),
);

for (const chat of chats) {
  router
    .openapi(
      createRoute({
        method: 'put',
        path: `/${chat.path}/{id}/ai-pause`,
        operationId: `pause${chat.name}Ai`,
        summary: `Pause the AI in ${chat.noun} for some hours or until resumed: questions are stored, not answered`,
        request: {
          params: z.object({ id: Uuid }),
          body: { content: { 'application/json': { schema: SetAiPauseSchema } }, required: true },
        },
        responses: { 200: json(AiPauseSchema, 'The pause in force'), ...errorResponses(400, 401, 404, 413, 415) },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { hours } = c.req.valid('json');
        const target: PauseChat = { kind: chat.kind, id };
        const pause = await pauseAi(c.get('db'), target, hours, apiActor(c));
        if (!pause) throw notFound(chat.what, id);
        c.get('log').info('admin.ai_paused', { chatType: chat.kind, chatPk: id, hours });
        return c.json(pause, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: `/${chat.path}/{id}/ai-pause`,
        operationId: `resume${chat.name}Ai`,
        summary: `Resume the AI in ${chat.noun} (204 also when it was not paused)`,
        request: { params: z.object({ id: Uuid }) },
        responses: { 204: { description: 'The AI answers again' }, ...errorResponses(400, 401, 404, 413) },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const result = await resumeAi(c.get('db'), { kind: chat.kind, id }, apiActor(c));
        if (result === 'not_found') throw notFound(chat.what, id);
        c.get('log').info('admin.ai_resumed', { chatType: chat.kind, chatPk: id, result });
        return c.body(null, 204);
      },
    );
}

export const aiPauseRoutes = router;
