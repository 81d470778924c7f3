/**
 * The AI answers' log (one row of line_ai_answers per answer) and what they cost: tokens per
 * Asia/Taipei day and per chat.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { aiUsage, DEFAULT_DAYS, listAiLogs, MAX_DAYS } from '../../domain/ai';
import { adminRouter } from './context';
import {
  AiLogSchema,
  AiUsageSchema,
  CalendarDate,
  ChatQuery,
  Cursor,
  errorResponses,
  json,
  Limit,
  page,
} from '../../api/schemas';

export const aiRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/ai-logs',
      operationId: 'listAiLogs',
      summary: 'AI answers, newest first: model, tokens, latency, tools, outcome',
      request: { query: z.object({ ...ChatQuery, before: Cursor, limit: Limit }) },
      responses: { 200: json(page(AiLogSchema, 'AiLogPage'), 'A page of AI answers'), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await listAiLogs(c.get('db'), c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/ai-usage',
      operationId: 'getAiUsage',
      summary: 'AI answers and tokens per Asia/Taipei day and per chat',
      request: {
        query: z.object({
          from: CalendarDate.optional().openapi({
            description: `first day (Asia/Taipei); default ${DEFAULT_DAYS - 1} days before to`,
          }),
          to: CalendarDate.optional().openapi({
            description: `last day (Asia/Taipei), not before from, at most ${MAX_DAYS} days after it; default today`,
          }),
        }),
      },
      responses: { 200: json(AiUsageSchema, 'Usage over the range'), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await aiUsage(c.get('db'), c.req.valid('query')), 200),
  );
