/**
 * Keyset paging: a cursor names the last row of a page by (timestamp in ms, id), so the next page
 * starts strictly below it however many rows arrive meanwhile. The id is a UUID for LINE users,
 * messages and files, an integer for inbox events. A cursor is opaque to clients (base64url, safe
 * in a query string unencoded); one that does not decode to a time and id the table can hold is a
 * 400, never a database error.
 */
import { desc, sql, type AnyColumn } from 'drizzle-orm';
import { UUID_PATTERN } from '../lib/uuid';
import { invalidField } from './errors';

export type IdKind = 'uuid' | 'int';
type IdOf<K extends IdKind> = K extends 'uuid' ? string : number;

export interface CursorKey<Id extends string | number = string | number> {
  at: Date;
  id: Id;
}

/** Stored timestamps are years 0001 to 9999 (what toISOString and Postgres agree on). */
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');
const CURSOR = /^(-?\d{1,15}):([0-9A-Fa-f-]{36}|[1-9]\d{0,15})$/;

const toBase64Url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const encodeCursor = (key: CursorKey): string => toBase64Url(`${key.at.getTime()}:${key.id}`);

const invalid = (why: string) => invalidField('query', 'before', why);

export function decodeCursor<K extends IdKind>(cursor: string | undefined, kind: K): CursorKey<IdOf<K>> | null {
  if (cursor === undefined) return null;
  let text = '';
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    // not base64: refused below like any other foreign string
  }
  const m = CURSOR.exec(text);
  if (!m) throw invalid('not a cursor from a previous page');
  const ms = Number(m[1]);
  if (ms < MIN_MS || ms > MAX_MS) throw invalid('time out of range');
  const raw = m[2]!;
  if (kind === 'uuid') {
    if (!UUID_PATTERN.test(raw)) throw invalid('not a cursor of this list');
    return { at: new Date(ms), id: raw.toLowerCase() as IdOf<K> };
  }
  if (!/^\d+$/.test(raw)) throw invalid('not a cursor of this list');
  const id = Number(raw);
  if (!Number.isSafeInteger(id)) throw invalid('id out of range');
  return { at: new Date(ms), id: id as IdOf<K> };
}

/** Given limit+1 rows, the page and the cursor of its last row (null when there is no more). */
export function paginate<T>(rows: T[], limit: number, key: (row: T) => CursorKey) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/**
 * Postgres keeps microseconds, a cursor milliseconds: both the order and the comparison use the
 * timestamp truncated to milliseconds, so no row is skipped or repeated between pages.
 */
export const newestFirst = (at: AnyColumn, id: AnyColumn) => [desc(sql`date_trunc('milliseconds', ${at})`), desc(id)];

export const olderThan = (at: AnyColumn, id: AnyColumn, cursor: CursorKey) =>
  sql`(date_trunc('milliseconds', ${at}), ${id}) < (${cursor.at.toISOString()}::timestamptz, ${cursor.id})`;
