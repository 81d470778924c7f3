/** The inbox: find events that failed or died, and retry them. */
import { createRoute, z } from '@hono/zod-openapi';
import { listEvents, retryEvent } from '../../domain/events';
import { processInBackground } from '../../services';
import { ApiError } from '../../api/errors';
import { adminRouter, notFound } from './context';
import {
  Cursor,
  errorResponses,
  EventId,
  EventStatus,
  InboxEventSchema,
  json,
  Limit,
  page,
  Text,
} from '../../api/schemas';

export const eventRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/events',
      operationId: 'listEvents',
      summary: 'Inbox events, newest first (e.g. status=failed or status=dead)',
      request: {
        query: z.object({
          status: EventStatus.optional(),
          eventType: Text(64).optional(),
          before: Cursor,
          limit: Limit,
        }),
      },
      responses: {
        200: json(page(InboxEventSchema, 'InboxEventPage'), 'A page of inbox events'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { status, ...q } = c.req.valid('query');
      return c.json(await listEvents(c.get('db'), { ...q, statuses: status ? [status] : undefined }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/events/{id}/retry',
      operationId: 'retryEvent',
      summary: 'Retry a failed or dead event now (processed in the background)',
      request: { params: z.object({ id: EventId }) },
      responses: {
        202: json(
          z
            .object({ id: z.number().int(), status: z.literal('processing'), attempts: z.number().int() })
            .openapi('EventRetry'),
          'Retrying',
        ),
        ...errorResponses(400, 401, 404, 409, 413),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const retry = await retryEvent(c.get('db'), id);
      if (retry.result === 'not_found') throw notFound('event', id);
      if (retry.result === 'not_retryable')
        throw new ApiError(409, 'conflict', `event ${id} is ${retry.status}; only failed or dead events are retried`);
      const log = c.get('log');
      processInBackground(c.env, log, (p) => c.executionCtx.waitUntil(p), retry.event, new URL(c.req.url).origin);
      log.info('admin.event_retry', { inboxId: id, attempts: retry.event.attempts });
      return c.json({ id, status: 'processing' as const, attempts: retry.event.attempts }, 202);
    },
  );
