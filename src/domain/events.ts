/**
 * The inbox as operators see it: events that failed or died, and claiming one for a retry (which
 * src/services.ts `processInBackground` then runs). Shared by the console and the management API's
 * `/events`.
 */
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineWebhookEvents, type WebhookEventStatus } from '@linebot-edge/shared/schema';
import type { RecordedEvent } from '../inbox/record';
import { claimForRetry } from '../inbox/status';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';
import { iso } from '../api/dates';

export interface EventQuery {
  /** Any of these statuses (none: every status). */
  statuses?: WebhookEventStatus[];
  eventType?: string;
  before?: string;
  limit: number;
}

const toItem = (e: typeof lineWebhookEvents.$inferSelect) => ({
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
  /** Null once purged by retention (src/inbox/retention.ts). */
  payload: e.payload as Record<string, unknown> | null,
  payloadPurgedAt: iso(e.payloadPurgedAt),
});

export type EventItem = ReturnType<typeof toItem>;

/** Newest first, keyset-paged. */
export async function listEvents(db: Queryable, q: EventQuery) {
  const cursor = decodeCursor(q.before, 'int');
  const where: SQL[] = [];
  if (q.statuses?.length) where.push(inArray(lineWebhookEvents.status, q.statuses));
  if (q.eventType) where.push(eq(lineWebhookEvents.eventType, q.eventType));
  if (cursor) where.push(olderThan(lineWebhookEvents.receivedAt, lineWebhookEvents.id, cursor));
  const rows = await db
    .select()
    .from(lineWebhookEvents)
    .where(and(...where))
    .orderBy(...newestFirst(lineWebhookEvents.receivedAt, lineWebhookEvents.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.receivedAt, id: r.id }));
  return { items: items.map(toItem), nextCursor };
}

export type Retry =
  | { result: 'retrying'; event: RecordedEvent }
  | { result: 'not_found' }
  | { result: 'not_retryable'; status: WebhookEventStatus };

/** Claims a failed or dead event for processing now; anything else is left as it is and reported. */
export async function retryEvent(db: Queryable, id: number): Promise<Retry> {
  const event = await claimForRetry(db, id);
  if (event) return { result: 'retrying', event };
  const [row] = await db
    .select({ status: lineWebhookEvents.status })
    .from(lineWebhookEvents)
    .where(eq(lineWebhookEvents.id, id));
  return row ? { result: 'not_retryable', status: row.status } : { result: 'not_found' };
}
