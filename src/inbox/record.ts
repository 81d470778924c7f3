/**
 * Recording accepted webhook events in `line_webhook_events` before answering LINE.
 * One multi-row INSERT per request; a redelivered event (same key) is skipped by the database.
 */
import { type Query, sql } from 'drizzle-orm';
import { sha256Hex } from '../lib/hex';
import { chunk } from '../line/messages';
import type { HttpDatabase, Queryable } from '../db/client';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import { isWebhookEvent, type WebhookEventObject } from '../line/webhook-body';
import { clip, storable, storableString } from './storable';

const MAX_ROWS_PER_INSERT = 5000;

export type InboxInsert = typeof lineWebhookEvents.$inferInsert;

/** A recorded event ready to process: its inbox id, key and the event object as stored (see storable.ts). */
export interface RecordedEvent {
  id: number;
  webhookEventId: string;
  attempts: number;
  event: WebhookEventObject;
}

/**
 * The inbox key: LINE's webhookEventId when it is a plain id (LINE's are 26-character ULIDs), or
 * for events without one (old SDK fixtures, tests) or with an odd one, a hash of the event's
 * storable JSON, so an identical redelivery maps to the same row.
 */
export async function inboxKey(entry: unknown): Promise<string> {
  return isWebhookEvent(entry) ? keyOf(storableEvent(entry)) : invalidKey(entry);
}

/** The key of an entry that is not an event: a hash of its storable JSON (a redelivery maps to the same row). */
async function invalidKey(received: unknown): Promise<string> {
  const json = JSON.stringify(storable(received)) ?? 'null';
  return `sha256:${(await sha256Hex(`invalid:${json}`)).slice(0, 64)}`;
}

async function keyOf(event: WebhookEventObject): Promise<string> {
  const id = event.webhookEventId;
  if (typeof id === 'string' && PLAIN_ID.test(id)) return id;
  return `sha256:${(await sha256Hex(JSON.stringify(event))).slice(0, 64)}`;
}

/** Printable ASCII without spaces, at most the key column's 80 characters. */
const PLAIN_ID = /^[\x21-\x7e]{1,80}$/;

/** The event with everything Postgres would refuse mapped (see storable.ts): still an object with a string `type`. */
const storableEvent = (event: WebhookEventObject) => storable(event) as WebhookEventObject;

/**
 * The inbox rows of a body's events. Each row is built from the storable event, so no content
 * can make the INSERT fail; the bounded columns are cut or left null. An entry that is not an
 * event (see `isWebhookEvent`) becomes an `invalid` row holding it as received: kept for an
 * operator to see, never processed or retried.
 */
export async function toInboxRows(destination: string | undefined, entries: unknown[]): Promise<InboxInsert[]> {
  // `destination` is varchar(64) until the column becomes text; the cut is harmless after that.
  const dest = destination === undefined ? null : clip(storableString(destination), 64);
  return Promise.all(
    entries.map(async (received, index) => {
      if (!isWebhookEvent(received)) return invalidRow(dest, received, index);
      const event = storableEvent(received);
      return {
        webhookEventId: await keyOf(event),
        destination: dest,
        eventType: clip(event.type, 64),
        sourceType: sourceTypeOf(event),
        // bigint column; LINE's are epoch milliseconds. Anything else is still in the payload.
        eventTimestamp: Number.isSafeInteger(event.timestamp) ? (event.timestamp as number) : null,
        isRedelivery: isRedelivery(event),
        payload: event,
      };
    }),
  );
}

/** What an `invalid` row's `event_type` says. */
const INVALID_EVENT_TYPE = '(invalid)';

async function invalidRow(destination: string | null, received: unknown, index: number): Promise<InboxInsert> {
  const value = storable(received);
  return {
    webhookEventId: await invalidKey(received),
    destination,
    eventType: INVALID_EVENT_TYPE,
    sourceType: null,
    eventTimestamp: null,
    isRedelivery: false,
    // JSON null is a value here, not SQL NULL (which means "payload purged").
    payload: value === null || value === undefined ? sql`'null'::jsonb` : value,
    status: 'invalid',
    attempts: 0,
    lockedAt: null,
    lastError: `events[${index}] is not an object with a non-empty string "type"`,
  };
}

/**
 * Insert the rows; returns the rows that were new and are events, in body order (those are the
 * ones this request goes on to process), and how many new rows were `invalid` (kept, not
 * processed). Event rows start as `processing` with attempt 1.
 */
export interface Recorded {
  /** New events to process now. */
  events: RecordedEvent[];
  /** New `invalid` rows (kept, never processed). */
  invalid: number;
  /** New events recorded and stored in one statement (`recordAtIntake`): nothing left to do. */
  done: number;
}

export async function recordEvents(db: Queryable, rows: InboxInsert[]): Promise<Recorded> {
  // The same key twice in one body: only its first occurrence is recorded and processed.
  const seen = new Set<string>();
  const unique = rows.filter((r) => !seen.has(r.webhookEventId) && seen.add(r.webhookEventId));
  if (unique.length === 0) return { events: [], invalid: 0, done: 0 };
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
  const events: RecordedEvent[] = [];
  let invalid = 0;
  for (const row of unique) {
    const id = idByKey.get(row.webhookEventId);
    if (id === undefined) continue; // recorded before: a redelivery or duplicate
    if (row.status === 'invalid') invalid++;
    else events.push({ id, webhookEventId: row.webhookEventId, attempts: 1, event: row.payload as WebhookEventObject });
  }
  return { events, invalid, done: 0 };
}

/** A one-statement intake (a handler's): Drizzle's SQL with placeholders, and one event's values for them. */
export interface IntakeStatement {
  query: Query;
  values: Record<string, unknown>;
}

/**
 * One event recorded by a statement that may also store it (a handler's intake statement, e.g.
 * `intakeStatement` of the message handler): it inserts `row` and returns its id and status, or
 * nothing for a redelivery. `done` means stored too; `processing` goes the usual way.
 */
export async function recordAtIntake(
  db: Queryable | HttpDatabase,
  statement: IntakeStatement,
  row: InboxInsert,
): Promise<Recorded> {
  // Run as Drizzle runs its own prepared queries: the text built once, the values filled in.
  const result = (await db._.session
    .prepareQuery(statement.query, undefined, undefined, false)
    .execute(statement.values)) as { rows: { id: string | number; status: string }[] };
  const inserted = result.rows[0];
  if (!inserted) return { events: [], invalid: 0, done: 0 };
  if (inserted.status === 'done') return { events: [], invalid: 0, done: 1 };
  return {
    events: [
      {
        id: Number(inserted.id),
        webhookEventId: row.webhookEventId,
        attempts: 1,
        event: row.payload as WebhookEventObject,
      },
    ],
    invalid: 0,
    done: 0,
  };
}

function sourceTypeOf(event: WebhookEventObject): string | null {
  const source = event.source as { type?: unknown } | undefined;
  return typeof source?.type === 'string' ? clip(source.type, 32) : null;
}

function isRedelivery(event: WebhookEventObject): boolean {
  const ctx = event.deliveryContext as { isRedelivery?: unknown } | undefined;
  return ctx?.isRedelivery === true;
}
