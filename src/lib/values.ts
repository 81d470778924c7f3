/** Narrowing values from event JSON, which fixtures and new LINE features may leave out or reshape. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * A finite number, truncated to an integer; null when it is not one. With a range, also null
 * outside it: event JSON may carry any number (2**70, 1e300), and a column that cannot hold it
 * would fail the whole write.
 */
export function num(v: unknown, range?: IntRange): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const n = Math.trunc(v);
  return range && (n < range.min || n > range.max) ? null : n;
}

export interface IntRange {
  min: number;
  max: number;
}
/** Integers a double holds exactly; within Postgres bigint. */
export const SAFE_INTEGER: IntRange = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
/** Postgres integer. */
export const INT4: IntRange = { min: -(2 ** 31), max: 2 ** 31 - 1 };
