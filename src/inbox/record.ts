/**
 * Recording accepted webhook events in `line_webhook_events` before answering LINE.
 * One multi-row INSERT per request; a redelivered event (same key) is skipped by the database.
 */
import { sha256Hex } from '../lib/hex';
import { chunk } from '../line/messages';
import type { Queryable } from '../db/client';
import { lineWebhookEvents } from '../db/schema';
import type { WebhookEventObject } from '../webhook/body';

const MAX_ROWS_PER_INSERT = 5000;

export type InboxInsert = typeof lineWebhookEvents.$inferInsert;
export type InboxRow = typeof lineWebhookEvents.$inferSelect;

/** A recorded event ready to process: its inbox id, key and the event object as received. */
export interface RecordedEvent {
  id: number;
  webhookEventId: string;
  attempts: number;
  event: WebhookEventObject;
}

/**
 * The inbox key: LINE's webhookEventId, or for events without one (old SDK fixtures, tests) a
 * hash of the event's JSON, so an identical redelivery maps to the same row.
 */
export async function inboxKey(event: WebhookEventObject): Promise<string> {
  const id = event.webhookEventId;
  if (typeof id === 'string' && id.length > 0 && id.length <= 80) return id;
  return `sha256:${(await sha256Hex(JSON.stringify(event))).slice(0, 64)}`;
}

export async function toInboxRows(destination: string | undefined, events: WebhookEventObject[]): Promise<InboxInsert[]> {
  return Promise.all(
    events.map(async (event) => ({
      webhookEventId: await inboxKey(event),
      destination: destination ?? null,
      eventType: event.type.slice(0, 64),
      sourceType: sourceTypeOf(event),
      eventTimestamp: typeof event.timestamp === 'number' ? Math.trunc(event.timestamp) : null,
      isRedelivery: isRedelivery(event),
      payload: event,
    })),
  );
}

/**
 * Insert the rows; returns only the rows that were new, in body order (those are the ones
 * this request goes on to process). Rows start as `processing` with attempt 1.
 */
export async function recordEvents(db: Queryable, rows: InboxInsert[]): Promise<RecordedEvent[]> {
  // The same key twice in one body: only its first occurrence is recorded and processed.
  const seen = new Set<string>();
  const unique = rows.filter((r) => !seen.has(r.webhookEventId) && seen.add(r.webhookEventId));
  if (unique.length === 0) return [];
  const inserted: { id: number; webhookEventId: string }[] = [];
  // One INSERT for any real body; only a freak body of thousands of events is split, because a
  // statement takes at most 65535 parameters.
  for (const batch of chunk(unique, MAX_ROWS_PER_INSERT)) {
    inserted.push(
      ...(await db
        .insert(lineWebhookEvents)
        .values(batch)
        .onConflictDoNothing({ target: lineWebhookEvents.webhookEventId })
        .returning({ id: lineWebhookEvents.id, webhookEventId: lineWebhookEvents.webhookEventId })),
    );
  }
  const idByKey = new Map(inserted.map((r) => [r.webhookEventId, r.id]));
  const out: RecordedEvent[] = [];
  for (const row of unique) {
    const id = idByKey.get(row.webhookEventId);
    if (id === undefined) continue; // recorded before: a redelivery or duplicate
    out.push({ id, webhookEventId: row.webhookEventId, attempts: 1, event: row.payload as WebhookEventObject });
  }
  return out;
}

function sourceTypeOf(event: WebhookEventObject): string | null {
  const source = event.source as { type?: unknown } | undefined;
  return typeof source?.type === 'string' ? source.type.slice(0, 32) : null;
}

function isRedelivery(event: WebhookEventObject): boolean {
  const ctx = event.deliveryContext as { isRedelivery?: unknown } | undefined;
  return ctx?.isRedelivery === true;
}
