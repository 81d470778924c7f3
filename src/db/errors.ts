/** Postgres' SQLSTATE of an error, wherever the driver or Drizzle wrapped it (the `cause` chain). */
export function hasPgCode(err: unknown, codes: ReadonlySet<string>): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (codes.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}

const UNIQUE_VIOLATION = new Set(['23505']);

/** Postgres unique violation, for turning duplicates into 409. */
export const isUniqueViolation = (err: unknown): boolean => hasPgCode(err, UNIQUE_VIOLATION);
