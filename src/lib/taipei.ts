/**
 * The company's day: Asia/Taipei. The daily AI limit counts in it, and so do the usage report,
 * the console's "today" and the dates the model reads.
 */
import { sql, type SQL } from 'drizzle-orm';

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
/** Taiwan keeps UTC+8 all year (no daylight saving since 1979), so a fixed offset is exact. */
const TAIPEI_OFFSET_MS = 8 * 3600_000;

/** `YYYY-MM-DD HH:mm` in Asia/Taipei; with the weekday: `YYYY-MM-DD (週五) HH:mm`. */
export function taipeiDateTime(at: Date, options: { weekday?: boolean } = {}): string {
  const t = new Date(at.getTime() + TAIPEI_OFFSET_MS);
  const date = t.toISOString().slice(0, 10);
  const time = t.toISOString().slice(11, 16);
  return options.weekday ? `${date} (週${WEEKDAYS[taipeiWeekday(at)]}) ${time}` : `${date} ${time}`;
}

/** The day of the week in Asia/Taipei: 0 for Sunday to 6 for Saturday. */
export const taipeiWeekday = (at: Date): number => new Date(at.getTime() + TAIPEI_OFFSET_MS).getUTCDay();

/** `YYYY-MM-DD` in Asia/Taipei. */
export const taipeiDate = (at: Date): string => taipeiDateTime(at).slice(0, 10);

/**
 * The zone in SQL as a literal, not a parameter: GROUP BY must see the very expression the select
 * list has, and two bound parameters are two expressions to Postgres. A constant, never input.
 */
export const TAIPEI_SQL = sql.raw(`'Asia/Taipei'`);
/** Today's date in Taipei, by the database's clock. */
export const taipeiTodaySql = sql`(now() AT TIME ZONE ${TAIPEI_SQL})::date`;
/** Midnight of a Taipei date as a timestamptz (what the indexes on *_at can range over). */
export const taipeiMidnightSql = (date: SQL) => sql`((${date})::timestamp AT TIME ZONE ${TAIPEI_SQL})`;
