/**
 * One limiter for every bearer check (management API, NAS agent routes, console sign-in): at most
 * 10 wrong tokens per client and 100 wrong tokens in total per 15 minutes. Past either, the client
 * is refused with 429 and `Retry-After`, before its token is even compared, so the right token
 * waits too (a guesser learns nothing once limited).
 *
 * Why a table (`auth_failures`) and not the Workers Rate Limiting binding: the binding counts per
 * Cloudflare location over periods of 10 or 60 seconds only, so it cannot say "10 in 15 minutes",
 * and a guesser spread over locations gets a budget per location. The table holds across isolates
 * and locations; its rows are few (refused clients add none), and the Cron Trigger deletes those
 * older than a day (`pruneAuthFailures`).
 *
 * The rule itself (`limitDecision`) is pure; `checkBearer` is what every surface calls.
 */
import { sql } from 'drizzle-orm';
import type { Database, Queryable, Transaction } from '../db/client';
import { authFailures, type AuditVia } from '@linebot-edge/shared/schema';
import { recordAudit } from '../audit/record';
import type { Logger } from '../lib/log';

export interface AuthLimit {
  /** Wrong tokens one client may send within the window. */
  perClient: number;
  /** Wrong tokens all clients together may send within the window. */
  total: number;
  windowMinutes: number;
}

export const AUTH_LIMIT: AuthLimit = { perClient: 10, total: 100, windowMinutes: 15 };

/** Failures kept after their window: a day, for an operator looking into an incident. */
const AUTH_FAILURE_RETENTION_HOURS = 24;

export type AuthSurface = 'admin' | 'nas' | 'console';

/** Who is trying: Cloudflare's client address, else one shared bucket (local runs, no header). */
export const clientOf = (connectingIp: string | undefined | null): string =>
  connectingIp?.trim().slice(0, 64) || 'unknown';

/**
 * The failures within the window as the database sees them: counts, and how old the failure is
 * whose leaving the window reopens it (the `perClient`-th newest of the client, the `total`-th
 * newest of all), in milliseconds by Postgres' clock; null when there are fewer.
 */
export interface FailureWindow {
  client: number;
  total: number;
  clientReopenAgeMs: number | null;
  totalReopenAgeMs: number | null;
}

export type LimitDecision =
  | { limited: false }
  | { limited: true; scope: 'client' | 'total'; retryAfterSeconds: number };

/** Limited when either count reached its limit; the wait is until both are below it again. */
export function limitDecision(w: FailureWindow, rule: AuthLimit = AUTH_LIMIT): LimitDecision {
  const windowMs = rule.windowMinutes * 60_000;
  const waits: Array<{ scope: 'client' | 'total'; seconds: number }> = [];
  const waitFor = (ageMs: number | null) => Math.max(1, Math.ceil((windowMs - Math.max(0, ageMs ?? 0)) / 1000));
  if (w.client >= rule.perClient) waits.push({ scope: 'client', seconds: waitFor(w.clientReopenAgeMs) });
  if (w.total >= rule.total) waits.push({ scope: 'total', seconds: waitFor(w.totalReopenAgeMs) });
  if (waits.length === 0) return { limited: false };
  const longest = waits.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return { limited: true, scope: longest.scope, retryAfterSeconds: longest.seconds };
}

/** Would one more failure of this client reach a limit (the failure that starts a refusal)? */
const tripsLimit = (w: FailureWindow, rule: AuthLimit = AUTH_LIMIT) =>
  w.client + 1 >= rule.perClient || w.total + 1 >= rule.total;

/** One query: the client's and everyone's failures within the window. */
async function failureWindow(db: Queryable, client: string, rule: AuthLimit = AUTH_LIMIT): Promise<FailureWindow> {
  const result = await db.execute<{
    client: number;
    total: number;
    client_age_ms: number | null;
    total_age_ms: number | null;
  }>(sql`
    SELECT count(*) FILTER (WHERE ${authFailures.client} = ${client})::int AS client,
           count(*)::int AS total,
           (extract(epoch FROM now() - (array_agg(${authFailures.at} ORDER BY ${authFailures.at} DESC)
              FILTER (WHERE ${authFailures.client} = ${client}))[${rule.perClient}::int]) * 1000)::float8 AS client_age_ms,
           (extract(epoch FROM now() - (array_agg(${authFailures.at} ORDER BY ${authFailures.at} DESC))[${rule.total}::int]) * 1000)::float8 AS total_age_ms
      FROM ${authFailures}
     WHERE ${authFailures.at} > now() - make_interval(mins => ${rule.windowMinutes}::int)`);
  const row = result.rows[0]!;
  return {
    client: Number(row.client),
    total: Number(row.total),
    clientReopenAgeMs: row.client_age_ms,
    totalReopenAgeMs: row.total_age_ms,
  };
}

export interface BearerAttempt {
  surface: AuthSurface;
  /** Where the audit trail says it came from. */
  via: AuditVia;
  client: string;
  log: Logger;
}

export type BearerVerdict =
  | { ok: true }
  | { ok: false; limited: false }
  | { ok: false; limited: true; retryAfterSeconds: number };

/**
 * The limiter around one bearer check: refused when the client is limited (the token is not
 * compared), else `matches()` decides; a wrong token is recorded. The failure that makes a limit
 * reached is audited as `auth.rate_limited` (once per client and window, not per refusal);
 * `onWrong` adds the surface's own audit entry in the same transaction.
 */
export async function checkBearer(
  db: Database,
  attempt: BearerAttempt,
  matches: () => Promise<boolean>,
  onWrong?: (tx: Transaction) => Promise<void>,
  rule: AuthLimit = AUTH_LIMIT,
): Promise<BearerVerdict> {
  const { surface, via, client, log } = attempt;
  // One client's checks take turns (a transaction lock on its address): a burst of parallel wrong
  // tokens would otherwise all read the same count and all be compared. The total over all
  // clients is not serialised (that would queue every admin request behind one lock); parallel
  // guessers from many addresses can pass it by at most their concurrency, once.
  const verdict = await db.transaction(async (tx): Promise<BearerVerdict & { trips?: boolean }> => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`auth_failures:${client}`}))`);
    const window = await failureWindow(tx, client, rule);
    const decision = limitDecision(window, rule);
    if (decision.limited) {
      log.warn('auth.rate_limited', { surface, client, scope: decision.scope, retryAfter: decision.retryAfterSeconds });
      return { ok: false, limited: true, retryAfterSeconds: decision.retryAfterSeconds };
    }
    if (await matches()) return { ok: true };
    const trips = tripsLimit(window, rule);
    await tx.insert(authFailures).values({ surface, client });
    if (onWrong) await onWrong(tx);
    if (trips) {
      const scope = window.client + 1 >= rule.perClient ? 'client' : 'total';
      await recordAudit(tx, {
        action: 'auth.rate_limited',
        via,
        client,
        details: { surface, scope, windowMinutes: rule.windowMinutes },
      });
    }
    return { ok: false, limited: false, trips };
  });
  if ('trips' in verdict && verdict.trips) log.warn('auth.limit_reached', { surface, client });
  if (verdict.ok) return { ok: true };
  return verdict.limited
    ? { ok: false, limited: true, retryAfterSeconds: verdict.retryAfterSeconds }
    : { ok: false, limited: false };
}

/** The Cron Trigger's part: failures older than a day go (the window needs 15 minutes of them). */
export async function pruneAuthFailures(db: Database): Promise<number> {
  const deleted = await db.execute(
    sql`DELETE FROM ${authFailures} WHERE ${authFailures.at} < now() - make_interval(hours => ${AUTH_FAILURE_RETENTION_HOURS}::int)`,
  );
  return deleted.rowCount ?? 0;
}
