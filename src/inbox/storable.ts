/**
 * Event JSON as Postgres can store it. A signed body is recorded whatever its events contain, so
 * everything Postgres would refuse is mapped at intake, once, before the inbox INSERT: the inbox
 * payload, its derived columns and every handler (they read the payload) see the same values,
 * whether an event is processed at once or read back by a cron retry.
 *
 * Pure and deterministic, so a redelivery of the same bytes maps to the same payload and key;
 * idempotent (mapping a mapped value changes nothing).
 */

/** A JSON value jsonb accepts. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Containers nested deeper than this are replaced by `TOO_DEEP`. LINE's events nest about six
 * levels; Postgres' jsonb parser gives up somewhere in the thousands (its stack limit), and a
 * 1 MiB body can nest half a million levels.
 */
export const MAX_DEPTH = 100;
export const TOO_DEEP = `[nested deeper than ${MAX_DEPTH} levels: dropped]`;

/**
 * jsonb (like text) cannot hold U+0000, and a lone UTF-16 surrogate has no UTF-8 form, so jsonb
 * refuses `\u0000` and unpaired surrogate escapes. Each becomes U+FFFD, in values and keys alike.
 * Replaced rather than escaped: an escape of our own (the text `\u0000`, say) could not be told
 * apart from a user who typed it, while U+FFFD is Unicode's own mark for "a character was lost here".
 */
export const storableString = (s: string): string => s.toWellFormed().replaceAll('\u0000', '\uFFFD');

/**
 * Maps a parsed JSON value to one jsonb accepts:
 * - strings and keys: `storableString` (U+0000 and lone surrogates become U+FFFD). Two keys that
 *   become equal keep the later value, as JSON.parse does for duplicate keys;
 * - numbers: non-finite ones (JSON.parse turns 1e400 into Infinity) become null, which is what
 *   JSON.stringify would send anyway; finite ones of any size are kept (jsonb numbers are numeric,
 *   so 2**70 fits; a column that cannot hold one is the reader's business: `num()` with a range);
 * - containers deeper than MAX_DEPTH: the string TOO_DEEP;
 * - anything that is not JSON (never in a parsed body): null.
 */
export const storable = (value: unknown): Json => toStorable(value, 0);

function toStorable(value: unknown, depth: number): Json {
  if (typeof value === 'string') return storableString(value);
  // `|| 0`: -0 is stored as 0, so what a handler sees now is what a retry reads back.
  if (typeof value === 'number') return Number.isFinite(value) ? value || 0 : null;
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => toStorable(v, depth + 1));
  // fromEntries defines own properties, so a "__proto__" key stays a key, never a prototype.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableString(k), toStorable(v, depth + 1)]));
}

/**
 * At most `max` UTF-16 code units of a storable string, for a bounded column: `varchar(n)` counts
 * characters, and a cut never leaves half a surrogate pair behind.
 */
export const clip = (s: string, max: number): string =>
  s.length <= max ? s : s.slice(0, max).replace(/[\uD800-\uDBFF]$/, '');
