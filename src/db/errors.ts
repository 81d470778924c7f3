/** The `code`s along an error's `cause` chain: the driver's and Drizzle's wrappers hide Postgres' SQLSTATE. */
function* codesOf(err: unknown): Generator<string> {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) yield String(code);
  }
}

/** Postgres' SQLSTATE of an error, wherever the driver or Drizzle wrapped it. */
export function hasPgCode(err: unknown, codes: ReadonlySet<string>): boolean {
  for (const code of codesOf(err)) if (codes.has(code)) return true;
  return false;
}

/** Whether Postgres itself answered with an error (a SQLSTATE), as against the connection failing. */
export function isPostgresError(err: unknown): boolean {
  for (const code of codesOf(err)) if (/^[0-9A-Z]{5}$/.test(code)) return true;
  return false;
}

const UNIQUE_VIOLATION = new Set(['23505']);

/** Postgres unique violation, for turning duplicates into 409. */
export const isUniqueViolation = (err: unknown): boolean => hasPgCode(err, UNIQUE_VIOLATION);
