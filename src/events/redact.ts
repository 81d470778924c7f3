/**
 * Taking an unsent message's text out of everything that copied it: the message object's keys that
 * carry what the user wrote (in `line_messages.raw_message` and in the inbox payloads of its events),
 * and the text itself wherever later writes quoted it (AI answers' kept steps, the bot's replies).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineMessages, lineWebhookEvents } from '@linebot-edge/shared/schema';

/**
 * Keys of a LINE message object that carry what the user wrote or sent: text and its emojis and
 * mentions, a sticker's keywords and text, a file's name, a location's title, address and place,
 * an externally hosted image's or video's URLs. Ids, types and quote tokens stay.
 */
const CONTENT_KEYS = [
  'text',
  'emojis',
  'mention',
  'fileName',
  'title',
  'address',
  'latitude',
  'longitude',
  'keywords',
  'contentProvider',
];

/** Of those, the ones whose strings are the user's words (the needles searched for elsewhere). */
const TEXT_KEYS = new Set(['text', 'fileName', 'title', 'address', 'keywords']);

/** What replaces an unsent text where it was quoted inside other text. */
const REDACTED = '[已收回]';

/**
 * A text shorter than this (in code points) is not searched for in other rows (later answers, the
 * bot's replies): "ok" or "好" would blank every such word there, and is no secret of its own.
 */
const MIN_QUOTED_LENGTH = 3;

const keysArray = sql`array[${sql.join(
  CONTENT_KEYS.map((k) => sql`${k}`),
  sql`, `,
)}]::text[]`;

/** A message object without its content keys (jsonb; NULL and non-objects pass unchanged). */
export const withoutContent = (message: SQL | typeof lineMessages.rawMessage): SQL =>
  sql`CASE WHEN jsonb_typeof(${message}) = 'object' THEN (${message}) - ${keysArray} ELSE (${message}) END`;

/** An inbox payload whose `message` has no content keys. */
const redactedPayload = sql`jsonb_set(${lineWebhookEvents.payload}, '{message}', ${withoutContent(sql`${lineWebhookEvents.payload} -> 'message'`)})`;

/** The inbox rows whose event carries LINE's message `messageId` (the expression index of migration 0008). */
const carries = (messageId: string) => sql`(${lineWebhookEvents.payload} #>> '{message,id}') = ${messageId}`;

/** The texts a message object carries (under TEXT_KEYS, at any depth). */
export function textsOf(message: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, underText: boolean) => {
    if (typeof v === 'string') {
      if (underText) out.push(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, underText);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(x, underText || TEXT_KEYS.has(k));
    }
  };
  walk(message, false);
  return out;
}

/** The message objects of every inbox event that carries the message (the original, each edit), locked. */
export async function carriedMessages(tx: Queryable, messageId: string): Promise<unknown[]> {
  const rows = await tx
    .select({ message: sql<unknown>`${lineWebhookEvents.payload} -> 'message'` })
    .from(lineWebhookEvents)
    .where(carries(messageId))
    .for('update');
  return rows.map((r) => r.message);
}

/** Removes the content keys from the inbox payload of every event that carries the message. */
export async function redactPayloads(tx: Queryable, messageId: string): Promise<void> {
  await tx.update(lineWebhookEvents).set({ payload: redactedPayload }).where(carries(messageId));
}

/** The same, only when the message is already unsent (its message or edit arrived after the unsend). */
export async function redactPayloadsIfUnsent(tx: Queryable, messageId: string): Promise<void> {
  await tx
    .update(lineWebhookEvents)
    .set({ payload: redactedPayload })
    .where(sql`${carries(messageId)} AND ${isUnsent(messageId)}`);
}

/** True when LINE's message `messageId` was unsent (a tombstone included). */
export const isUnsent = (messageId: string) =>
  sql`EXISTS (SELECT 1 FROM ${lineMessages} WHERE ${lineMessages.messageId} = ${messageId} AND ${lineMessages.unsentAt} IS NOT NULL)`;

/**
 * For a one-statement write whose own inbox row is marked done in the same UPDATE: its payload,
 * redacted when `unsent` holds.
 */
export const payloadRedactedWhen = (unsent: SQL): SQL =>
  sql`CASE WHEN ${unsent} THEN ${redactedPayload} ELSE ${lineWebhookEvents.payload} END`;

/**
 * The forms the text takes where the project quoted it: as it is, flattened to one line (file
 * names, locations and stickers in the AI's history), and cut where the AI's history cuts it. Longest first, so a longer form is replaced before a part of it;
 * empty and blank forms are dropped. (Not each line on its own: a short line would blank that word
 * in every later answer.)
 */
export function needlesOf(texts: (string | null | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const text of texts) {
    if (!text?.trim()) continue;
    forms.add(text);
    forms.add(text.trim());
    const flat = text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').trim();
    forms.add(flat);
    // Cut as the AI's history cuts: a text at 1999, a file name or location at 200, a sticker at 100.
    for (const [form, max] of [
      [text, 1999],
      [flat, 200],
      [flat, 100],
    ] as const) {
      if (form.length > max) forms.add(form.slice(0, max).replace(/[\uD800-\uDBFF]$/, ''));
    }
  }
  return [...forms].filter((f) => f.trim() !== '').sort((a, b) => b.length - a.length);
}

/** Needles long enough to be searched for in other rows (see MIN_QUOTED_LENGTH). */
export const quotedNeedles = (needles: string[]) => needles.filter((n) => [...n.trim()].length >= MIN_QUOTED_LENGTH);

/** `s` with every needle replaced. */
export function redactText(s: string, needles: string[]): string {
  let out = s;
  for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
  return out;
}

/**
 * Keys of kept AI steps and message objects whose values are protocol tokens (Claude's block types,
 * roles, ids, model names), never what a person wrote: left alone, so a redaction cannot break the
 * memo's structure even when the unsent text happens to be "text" or "user".
 */
const PROTOCOL_KEYS = new Set([
  'type',
  'role',
  'id',
  'tool_use_id',
  'model',
  'stopReason',
  'requestId',
  'sentBy',
  'cache_control',
  'quoteToken',
  'quotedMessageId',
]);

/** A JSON value with every needle replaced inside its strings (not its keys, not protocol values). */
export function redactJson<T>(value: T, needles: string[]): T {
  if (needles.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, needles);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, PROTOCOL_KEYS.has(k) && typeof x === 'string' ? x : walk(x)]),
      );
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * SQL: whether a jsonb or text value contains any needle. A jsonb value is searched in its text
 * form, where Postgres escapes a needle the same way (`to_jsonb(needle)` without its quotes).
 */
export function containsAny(value: SQL, needles: string[], kind: 'jsonb' | 'text'): SQL {
  if (needles.length === 0) return sql`false`;
  const list = sql`array[${sql.join(
    needles.map((n) => sql`${n}`),
    sql`, `,
  )}]::text[]`;
  return kind === 'text'
    ? sql`EXISTS (SELECT 1 FROM unnest(${list}) n WHERE strpos(${value}, n) > 0)`
    : sql`EXISTS (SELECT 1 FROM unnest(${list}) n WHERE strpos(${value}::text, substr(to_jsonb(n)::text, 2, length(to_jsonb(n)::text) - 2)) > 0)`;
}
