import { num, type IntRange } from './values';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Epoch milliseconds a Date can be stored as: years 0001 to 9999. Outside them toISOString gives
 * six-digit or negative years Postgres refuses (and past about 275760 there is no Date at all).
 */
const STORABLE_MS: IntRange = {
  min: Date.parse('0001-01-01T00:00:00.000Z'),
  max: Date.parse('9999-12-31T23:59:59.999Z'),
};

/** LINE timestamps are epoch milliseconds; fixtures sometimes omit them, and a forged body may carry any number. */
export const fromLineTimestamp = (ms: unknown, fallback: Date): Date => {
  const valid = num(ms, STORABLE_MS);
  return valid === null ? fallback : new Date(valid);
};
