/**
 * Calendar days as the API writes them, `YYYY-MM-DD`, years 0001 to 9999 (Postgres has no year 0,
 * and a Date past 9999 has no such form), and timestamps as ISO 8601 text.
 */

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

const DAY_MS = 86_400_000;
export const FIRST_DAY = '0001-01-01';
const dayToMs = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
const msToDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => msToDay(dayToMs(day) + n * DAY_MS);
export const daysBetween = (from: string, to: string) => Math.round((dayToMs(to) - dayToMs(from)) / DAY_MS);

/** A real day in range: the round trip through Date refuses days a month does not have. */
export const isDay = (v: string) => {
  const ms = dayToMs(v);
  return v >= FIRST_DAY && Number.isFinite(ms) && msToDay(ms) === v;
};
