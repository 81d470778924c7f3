/**
 * The month's push quota in view: LINE's target limit and what it counted so far (two LINE calls),
 * cached in the one row of line_push_quota for at most QUOTA_CACHE_SECONDS, and the pushes LINE
 * refused for its monthly limit (429) this month (line_push_refusals, recorded by
 * src/line/outbound.ts). Every age is the database's (`now() - fetched_at`): the Worker's clock is
 * never compared with Postgres'.
 * When LINE does not answer, the cached figures are shown with their age, or none ("unknown").
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import type { LineClient, MessageQuota, QuotaConsumption } from '../line/client';
import type { Logger } from '../lib/log';
import { linePushQuota, linePushRefusals } from '@linebot-edge/shared/schema';

/** LINE is asked again once the cached figures are this old (10 minutes). */
export const QUOTA_CACHE_SECONDS = 600;
/** From this share of the limit on, the console warns. */
const QUOTA_WARN_PERCENT = 80;

/**
 * LINE counts the month in Japan time (its quota resets on the 1st, 00:00 JST): the refusals are
 * counted in the same month. A literal, not a parameter (a constant, never input).
 */
const LINE_MONTH_ZONE = sql.raw(`'Asia/Tokyo'`);

/** LINE's month (`YYYY-MM`, Japan time) of a timestamptz expression. */
export const lineMonthOf = (at: SQL) => sql`to_char(${at} AT TIME ZONE ${LINE_MONTH_ZONE}, 'YYYY-MM')`;

/** When LINE's month of a timestamptz expression began: the 1st, 00:00 in Japan. */
export const lineMonthStartOf = (at: SQL) =>
  sql`(date_trunc('month', ${at} AT TIME ZONE ${LINE_MONTH_ZONE}) AT TIME ZONE ${LINE_MONTH_ZONE})`;

export interface PushQuota {
  /** `YYYY-MM`: LINE's month now, the one `refusedThisMonth` counts. */
  month: string;
  /** LINE's `type`: `none` (no limit) or `limited`; null when unknown (LINE did not answer, nothing cached). */
  type: 'none' | 'limited' | null;
  /** LINE's `value`: the month's limit when `limited`. */
  value: number | null;
  /** LINE's `totalUsage`: messages counted this month (a push to a group counts once per member). */
  totalUsage: number | null;
  /** totalUsage of value in whole percent, rounded down; null without a limit. */
  percentUsed: number | null;
  /** `warning` from QUOTA_WARN_PERCENT, `exhausted` at the limit (LINE refuses pushes); null when unknown. */
  level: 'ok' | 'warning' | 'exhausted' | null;
  /** How old the figures are, by the database's clock; null when unknown. */
  ageSeconds: number | null;
  /** LINE did not answer just now: the figures are the cached ones (or unknown). */
  stale: boolean;
  /** Pushes LINE refused for its monthly limit (429) this month. */
  refusedThisMonth: number;
}

export interface PushQuotaDeps {
  db: Queryable;
  line: Pick<LineClient, 'getMessageQuota' | 'getMessageQuotaConsumption'>;
  log: Logger;
}

interface Cached {
  type: 'none' | 'limited';
  value: number | null;
  totalUsage: number;
  ageSeconds: number;
}

/** This month's quota and use (from the cache while fresh, else from LINE), and the refusals. */
export async function pushQuota(deps: PushQuotaDeps): Promise<PushQuota> {
  const now = await readNow(deps.db);
  let cached = now.cached;
  let stale = false;
  if (!cached || cached.ageSeconds >= QUOTA_CACHE_SECONDS) {
    let fetched: [MessageQuota, QuotaConsumption] | undefined;
    try {
      fetched = await Promise.all([deps.line.getMessageQuota(), deps.line.getMessageQuotaConsumption()]);
    } catch (err) {
      // The console still shows what it knows; the log says why it is old.
      deps.log.warn('line.quota_unavailable', { error: err, cachedAgeSeconds: cached?.ageSeconds ?? null });
      stale = true;
    }
    if (fetched) cached = await store(deps.db, ...fetched);
  }
  return {
    month: now.month,
    ...figures(cached),
    stale,
    refusedThisMonth: now.refused,
  };
}

type Figures = Omit<PushQuota, 'month' | 'stale' | 'refusedThisMonth'>;

/** No figures: LINE did not answer and nothing was cached. */
export const UNKNOWN_FIGURES: Figures = {
  type: null,
  value: null,
  totalUsage: null,
  percentUsed: null,
  level: null,
  ageSeconds: null,
};

function figures(cached: Cached | undefined): Figures {
  if (!cached) return UNKNOWN_FIGURES;
  const { type, value, totalUsage, ageSeconds } = cached;
  if (type === 'none' || value === null) {
    return { type, value: null, totalUsage, percentUsed: null, level: 'ok', ageSeconds };
  }
  const percentUsed = value > 0 ? Math.floor((totalUsage * 100) / value) : 100;
  const level = totalUsage >= value ? 'exhausted' : percentUsed >= QUOTA_WARN_PERCENT ? 'warning' : 'ok';
  return { type, value, totalUsage, percentUsed, level, ageSeconds };
}

const n = (v: unknown) => Number(v ?? 0);

/** The cached row with its age, this month's refusals and LINE's month: one statement. */
async function readNow(db: Queryable): Promise<{ cached?: Cached; refused: number; month: string }> {
  const { rows } = await db.execute<Record<string, string | number | null>>(sql`
    SELECT ${linePushQuota.quotaType} AS quota_type, ${linePushQuota.quotaValue} AS quota_value,
           ${linePushQuota.totalUsage} AS total_usage,
           floor(extract(epoch FROM now() - ${linePushQuota.fetchedAt})) AS age_seconds,
           (SELECT count(*) FROM ${linePushRefusals}
             WHERE ${linePushRefusals.refusedAt} >= ${lineMonthStartOf(sql`now()`)}) AS refused,
           ${lineMonthOf(sql`now()`)} AS month
      FROM (SELECT 1) AS one LEFT JOIN ${linePushQuota} ON ${linePushQuota.id} = 1`);
  const r = rows[0] ?? {};
  const cached =
    r.quota_type == null
      ? undefined
      : {
          type: r.quota_type === 'limited' ? ('limited' as const) : ('none' as const),
          value: r.quota_value == null ? null : n(r.quota_value),
          totalUsage: n(r.total_usage),
          // A row written by a clock ahead of the database's is as fresh as can be, not from the future.
          ageSeconds: Math.max(0, n(r.age_seconds)),
        };
  return { cached, refused: n(r.refused), month: String(r.month) };
}

/** Keeps LINE's answer in the one row, stamped with the database's now(). */
async function store(db: Queryable, quota: MessageQuota, consumption: QuotaConsumption): Promise<Cached> {
  const row = {
    quotaType: quota.type,
    quotaValue: quota.type === 'limited' ? (quota.value ?? null) : null,
    totalUsage: consumption.totalUsage,
  };
  await db
    .insert(linePushQuota)
    .values({ id: 1, ...row, fetchedAt: sql`now()` })
    .onConflictDoUpdate({ target: linePushQuota.id, set: { ...row, fetchedAt: sql`now()` } });
  return { type: row.quotaType, value: row.quotaValue, totalUsage: row.totalUsage, ageSeconds: 0 };
}
