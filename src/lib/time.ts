export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** LINE timestamps are epoch milliseconds; fixtures sometimes omit them. */
export const fromLineTimestamp = (ms: unknown, fallback: Date): Date =>
  typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms) : fallback;
