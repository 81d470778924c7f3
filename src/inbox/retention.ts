/**
 * Inbox retention: a `done` event keeps its payload INBOX_RETENTION_DAYS days after it was received;
 * after that only its key, type, times and status stay (`payload` NULL, `payload_purged_at` set).
 * Failed and dead events keep theirs, since a retry needs it. The Cron Trigger purges in small
 * batches (oldest first, by the partial index line_webhook_events_retention_idx), so one run never
 * holds many rows locked or writes much WAL at once.
 */
import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';

/** Rows per statement, and statements per cron run: up to 2,000 payloads a minute. */
const PURGE_BATCH = 500;
const PURGE_STATEMENTS_PER_RUN = 4;

/** One batch: the oldest done payloads received more than `days` ago. Returns how many were purged. */
async function purgeBatch(db: Queryable, days: number, batch = PURGE_BATCH): Promise<number> {
  const e = lineWebhookEvents;
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE ${e} SET payload = NULL, payload_purged_at = now()
     WHERE ${e.id} IN (
       SELECT id FROM ${e}
        WHERE status = 'done' AND payload IS NOT NULL AND received_at < now() - make_interval(days => ${days}::int)
        ORDER BY received_at
        LIMIT ${batch}
        FOR UPDATE SKIP LOCKED)
    RETURNING ${e.id}`);
  return rows.rows.length;
}

/** A cron run's share: batches until one comes back short or the run's statements are used. */
export async function purgeInboxPayloads(
  db: Queryable,
  days: number,
  o: { batch?: number; statements?: number } = {},
): Promise<number> {
  const batch = o.batch ?? PURGE_BATCH;
  let purged = 0;
  for (let i = 0; i < (o.statements ?? PURGE_STATEMENTS_PER_RUN); i++) {
    const n = await purgeBatch(db, days, batch);
    purged += n;
    if (n < batch) break;
  }
  return purged;
}
