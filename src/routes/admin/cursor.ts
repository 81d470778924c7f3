/**
 * Keyset paging: a cursor names the last row of a page by (timestamp, id), so the next page
 * starts strictly below it however many rows arrive meanwhile.
 */
import { desc, sql, type AnyColumn } from 'drizzle-orm';
import { ApiError } from '../../http/errors';

export interface CursorKey {
  at: Date;
  id: number;
}

export const encodeCursor = (key: CursorKey): string => btoa(`${key.at.getTime()}:${key.id}`).replace(/=+$/, '');

export function decodeCursor(cursor: string | undefined): CursorKey | null {
  if (!cursor) return null;
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    text = '';
  }
  const m = /^(\d{1,15}):(\d{1,15})$/.exec(text);
  if (!m) {
    throw new ApiError(400, 'invalid_request', 'query before: not a cursor from a previous page');
  }
  return { at: new Date(Number(m[1])), id: Number(m[2]) };
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
