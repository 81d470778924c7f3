/**
 * GET /healthz: liveness, and whether the database answers (503 when it does not), both ways the
 * Worker reaches it: through a Pool and over HTTP (the webhook's intake call).
 *
 * Anyone may call it, so it must not be a way to make us open database connections: the probe
 * runs at most once per 10 seconds per isolate, and callers in between (or while a probe is under
 * way) get the last probe's result, with `cachedAgeMs` saying how old it is.
 */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { config } from '../config';
import { openDb, openHttpDb } from '../db/client';
import type { AppEnv } from '../http/types';
import { sleep } from '../lib/time';

const DB_CHECK_TIMEOUT_MS = 3_000;
export const HEALTH_PROBE_INTERVAL_MS = 10_000;

type DatabaseState = 'ok' | 'unreachable';

/**
 * The last probe of this isolate (started at `at`), shared by the requests that come while it runs.
 * Kept with the database it probed: another DATABASE_URL (a test's) is probed anew.
 */
let lastProbe: { at: number; url: string | undefined; result: Promise<DatabaseState> } | undefined;

export const health = new Hono<AppEnv>().get('/', async (c) => {
  const log = c.get('log');
  const started = Date.now();
  let cachedAgeMs: number | null = started - (lastProbe?.at ?? -Infinity);
  const url = config(c.env).secrets.databaseUrl;
  if (!lastProbe || lastProbe.url !== url || cachedAgeMs >= HEALTH_PROBE_INTERVAL_MS || cachedAgeMs < 0) {
    lastProbe = { at: started, url, result: checkDatabase(c.env, log, (p) => c.executionCtx.waitUntil(p)) };
    cachedAgeMs = null;
  }
  const database = await lastProbe.result;
  c.header('cache-control', 'no-store');
  return c.json(
    { ok: database === 'ok', database, latencyMs: Date.now() - started, cachedAgeMs },
    database === 'ok' ? 200 : 503,
  );
});

async function checkDatabase(
  env: Env,
  log: AppEnv['Variables']['log'],
  waitUntil: (p: Promise<unknown>) => void,
): Promise<DatabaseState> {
  let handle: ReturnType<typeof openDb> | undefined;
  /** One way's `select 1`: whether it answered in time; why not is logged with the way's name. */
  const answers = async (via: 'pool' | 'http', query: () => Promise<unknown>): Promise<boolean> => {
    try {
      const answered = await Promise.race([query().then(() => true), sleep(DB_CHECK_TIMEOUT_MS).then(() => false)]);
      if (!answered) log.warn('health.database_timeout', { via, timeoutMs: DB_CHECK_TIMEOUT_MS });
      return answered;
    } catch (err) {
      log.warn('health.database_unreachable', { via, error: err });
      return false;
    }
  };
  try {
    handle = openDb(env, log);
    const db = handle.db;
    const both = await Promise.all([
      answers('pool', () => db.execute(sql`select 1`)),
      answers('http', () => openHttpDb(env).execute(sql`select 1`)),
    ]);
    return both.every(Boolean) ? 'ok' : 'unreachable';
  } catch (err) {
    log.warn('health.database_unreachable', { error: err });
    return 'unreachable';
  } finally {
    if (handle) waitUntil(handle.close());
  }
}
