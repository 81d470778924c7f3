/**
 * The life of an inbox row: processing -> done, or -> failed (retried with backoff) -> ... -> dead.
 */
import { and, asc, eq, inArray, isNotNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import type { WebhookEventObject } from '../line/webhook-body';
import type { RecordedEvent } from './record';

/** What a claim reads back: enough to process the event again. */
const recordedColumns = {
  id: lineWebhookEvents.id,
  webhookEventId: lineWebhookEvents.webhookEventId,
  attempts: lineWebhookEvents.attempts,
  payload: lineWebhookEvents.payload,
};
const toRecorded = (r: { id: number; webhookEventId: string; attempts: number; payload: unknown }): RecordedEvent => ({
  id: r.id,
  webhookEventId: r.webhookEventId,
  attempts: r.attempts,
  event: r.payload as WebhookEventObject,
});

/** Attempts in all (the first, in the webhook request, plus retries) before a row is `dead`. */
export const MAX_ATTEMPTS = 8;
/** A `processing` row older than this lost its worker (waitUntil lasts about 30 s). */
const STUCK_AFTER_MS = 2 * 60_000;

/** Wait before the next attempt: 1, 2, 4 ... minutes, at most an hour (cron runs every minute). */
const retryDelayMs = (attempts: number) => Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);

/**
 * The UPDATE that marks rows done, unexecuted (a handler's one-statement write embeds it, and may
 * set the payload in the same UPDATE: a row cannot be updated twice by one statement).
 */
export const markDoneQuery = (db: Queryable, ids: number | number[], payload?: SQL) =>
  db
    .update(lineWebhookEvents)
    .set({
      status: 'done',
      processedAt: sql`now()`,
      lockedAt: null,
      nextAttemptAt: null,
      lastError: null,
      ...(payload ? { payload } : {}),
    })
    .where(Array.isArray(ids) ? inArray(lineWebhookEvents.id, ids) : eq(lineWebhookEvents.id, ids));

export async function markDone(db: Queryable, ids: number | number[]): Promise<void> {
  await markDoneQuery(db, ids);
}

/** Records a failed attempt; returns the status the row ended in. */
export async function markFailed(db: Queryable, event: RecordedEvent, error: string, now = new Date()) {
  const status = event.attempts >= MAX_ATTEMPTS ? ('dead' as const) : ('failed' as const);
  await db
    .update(lineWebhookEvents)
    .set({
      status,
      lastError: error.slice(0, 4000),
      lockedAt: null,
      nextAttemptAt: status === 'dead' ? null : new Date(now.getTime() + retryDelayMs(event.attempts)),
    })
    .where(eq(lineWebhookEvents.id, event.id));
  return status;
}

/**
 * Claims due rows for this scheduled run: `failed` rows whose next attempt time has come and
 * `processing` rows whose worker died. SKIP LOCKED lets overlapping cron runs share the work
 * without taking the same row. Stuck rows that already used their last attempt become `dead`.
 */
export async function claimDueEvents(db: Queryable, now: Date, limit: number): Promise<RecordedEvent[]> {
  const stuckBefore = new Date(now.getTime() - STUCK_AFTER_MS);
  const isStuck = and(eq(lineWebhookEvents.status, 'processing'), lt(lineWebhookEvents.lockedAt, stuckBefore));

  await db
    .update(lineWebhookEvents)
    .set({
      status: 'dead',
      lockedAt: null,
      lastError: sql`coalesce(${lineWebhookEvents.lastError}, 'worker lost while processing')`,
    })
    .where(and(isStuck, sql`${lineWebhookEvents.attempts} >= ${MAX_ATTEMPTS}`));

  const due = db
    .select({ id: lineWebhookEvents.id })
    .from(lineWebhookEvents)
    // A payload is purged only from done events; a row without one could not be processed anyway.
    .where(
      and(
        or(and(eq(lineWebhookEvents.status, 'failed'), lte(lineWebhookEvents.nextAttemptAt, now)), isStuck),
        isNotNull(lineWebhookEvents.payload),
      ),
    )
    .orderBy(asc(lineWebhookEvents.id))
    .limit(limit)
    .for('update', { skipLocked: true });

  const claimed = await db
    .update(lineWebhookEvents)
    .set({ status: 'processing', lockedAt: now, attempts: sql`${lineWebhookEvents.attempts} + 1` })
    .where(inArray(lineWebhookEvents.id, due))
    .returning(recordedColumns);
  return claimed.sort((a, b) => a.id - b.id).map(toRecorded);
}

/** An operator's retry of a failed or dead event: claimed now, processed at once by the caller. */
export async function claimForRetry(db: Queryable, id: number): Promise<RecordedEvent | null> {
  const [row] = await db
    .update(lineWebhookEvents)
    .set({
      status: 'processing',
      lockedAt: sql`now()`,
      nextAttemptAt: null,
      attempts: sql`${lineWebhookEvents.attempts} + 1`,
    })
    .where(
      and(
        eq(lineWebhookEvents.id, id),
        inArray(lineWebhookEvents.status, ['failed', 'dead']),
        isNotNull(lineWebhookEvents.payload),
      ),
    )
    .returning(recordedColumns);
  return row ? toRecorded(row) : null;
}
