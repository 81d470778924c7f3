/** The inbox: find events that failed or died, and retry them. */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, type SQL } from 'drizzle-orm';
import { lineWebhookEvents } from '../../db/schema';
import { processEvent } from '../../events/dispatch';
import { ApiError } from '../../http/errors';
import { claimForRetry } from '../../inbox/status';
import { openServices } from '../../services';
import { adminRouter, notFound } from './context';
import { decodeCursor, newestFirst, olderThan, paginate } from './cursor';
import { Cursor, errorResponses, EventId, EventStatus, InboxEventSchema, iso, json, Limit, page, Text } from './schemas';

const toDto = (e: typeof lineWebhookEvents.$inferSelect) => ({
  id: e.id,
  webhookEventId: e.webhookEventId,
  eventType: e.eventType,
  sourceType: e.sourceType,
  status: e.status,
  attempts: e.attempts,
  lastError: e.lastError,
  nextAttemptAt: iso(e.nextAttemptAt),
  receivedAt: e.receivedAt.toISOString(),
  processedAt: iso(e.processedAt),
  payload: e.payload as Record<string, unknown>,
});

export const eventRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/events',
      operationId: 'listEvents',
      summary: 'Inbox events, newest first (e.g. status=failed or status=dead)',
      request: { query: z.object({ status: EventStatus.optional(), eventType: Text(64).optional(), before: Cursor, limit: Limit }) },
      responses: { 200: json(page(InboxEventSchema, 'InboxEventPage'), 'A page of inbox events'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor(q.before, 'int');
      const where: SQL[] = [];
      if (q.status) where.push(eq(lineWebhookEvents.status, q.status));
      if (q.eventType) where.push(eq(lineWebhookEvents.eventType, q.eventType));
      if (cursor) where.push(olderThan(lineWebhookEvents.receivedAt, lineWebhookEvents.id, cursor));
      const rows = await c
        .get('db')
        .select()
        .from(lineWebhookEvents)
        .where(and(...where))
        .orderBy(...newestFirst(lineWebhookEvents.receivedAt, lineWebhookEvents.id))
        .limit(q.limit + 1);
      const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.receivedAt, id: r.id }));
      return c.json({ items: items.map(toDto), nextCursor }, 200);
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
          z.object({ id: z.number().int(), status: z.literal('processing'), attempts: z.number().int() }).openapi('EventRetry'),
          'Retrying',
        ),
        ...errorResponses(400, 401, 404, 409, 413),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const db = c.get('db');
      const claimed = await claimForRetry(db, id);
      if (!claimed) {
        const [row] = await db.select({ status: lineWebhookEvents.status }).from(lineWebhookEvents).where(eq(lineWebhookEvents.id, id));
        if (!row) throw notFound('event', id);
        throw new ApiError(409, 'conflict', `event ${id} is ${row.status}; only failed or dead events are retried`);
      }
      // Its own services: the request's pool closes with the response, processing goes on after it.
      const log = c.get('log');
      const services = openServices(c.env, log);
      c.executionCtx.waitUntil(processEvent(services, claimed).finally(services.close));
      log.info('admin.event_retry', { inboxId: id, attempts: claimed.attempts });
      return c.json({ id, status: 'processing' as const, attempts: claimed.attempts }, 202);
    },
  );
