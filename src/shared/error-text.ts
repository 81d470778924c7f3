/**
 * Errors as they may be logged or stored, shared by the Worker's logger (src/lib/log.ts) and the
 * nas-sync job (its logs and `line_files.sync_error`): what helps an operator, never the
 * parameters of a failed query.
 */

/**
 * What an error says, safe to log or store (`last_error`, an answer's `error`, nas-sync's
 * `sync_error`): its name, message, status, code and cause. A failed database query (drizzle's
 * DrizzleQueryError: "Failed query: <sql>\nparams: <values>") keeps its SQL and Postgres' own
 * message (the cause), never the parameters: they carry binding codes, reply tokens and message
 * text. A parameter Postgres quotes in its message (`invalid input syntax for type uuid: "..."`)
 * is cut out of it too.
 */
export function describeError(err: unknown, hidden: string[] = []): Record<string, unknown> {
  if (!(err instanceof Error)) {
    const message = (err as { message?: unknown } | null)?.message;
    return {
      message:
        typeof message === 'string'
          ? hideParams(message, hidden)
          : typeof err === 'object' && err !== null
            ? 'non-Error value'
            : String(err),
    };
  }
  const query = queryOf(err);
  const secrets = query ? [...hidden, ...paramTexts(query.params)] : hidden;
  const out: Record<string, unknown> = {
    name: err.name,
    message: query ? `Failed query: ${query.sql}` : hideParams(err.message, secrets),
  };
  for (const key of ['status', 'code', 'requestId', 'details'] as const) {
    const v = (err as unknown as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = typeof v === 'string' ? hideParams(v, secrets) : v;
  }
  if (err.cause !== undefined) out.cause = describeError(err.cause, secrets);
  return out;
}

/** The same in one line (`code message: cause`), for a text column or a plain log field. */
export function errorText(err: unknown): string {
  const d = describeError(err);
  const code = typeof d.code === 'string' ? `${d.code} ` : '';
  const cause = (d.cause as { message?: unknown } | undefined)?.message;
  return `${code}${String(d.message)}${typeof cause === 'string' ? `: ${cause}` : ''}`;
}

/** A failed query's SQL and parameters (drizzle's DrizzleQueryError, by shape: nas-sync bundles its own copy). */
function queryOf(err: Error): { sql: string; params: unknown[] } | null {
  const { query, params } = err as { query?: unknown; params?: unknown };
  return typeof query === 'string' && Array.isArray(params) ? { sql: query, params } : null;
}

/** Parameters as they may appear in a message; short ones ("user", 1) would blank common words. */
function paramTexts(params: unknown[]): string[] {
  const texts = params.map((p) =>
    typeof p === 'string' ? p : p !== null && typeof p === 'object' ? JSON.stringify(p) : String(p),
  );
  return texts.filter((t) => t.length >= 4).sort((a, b) => b.length - a.length);
}

/** A message with drizzle's "params:" tail (an error text wrapped into another's message) and any parameter cut out. */
function hideParams(message: string, hidden: string[]): string {
  let out = message.replace(/\nparams: [\s\S]*$/, '');
  for (const h of hidden) if (out.includes(h)) out = out.split(h).join('<param>');
  return out;
}
