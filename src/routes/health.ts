/** GET /healthz: liveness, and whether the database answers (503 when it does not). */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { openDb } from '../db/client';
import type { AppEnv } from '../http/types';
import { sleep } from '../lib/time';

const DB_CHECK_TIMEOUT_MS = 3_000;

export const health = new Hono<AppEnv>().get('/', async (c) => {
  const log = c.get('log');
  const started = Date.now();
  const database = await checkDatabase(c.env, log, (p) => c.executionCtx.waitUntil(p));
  return c.json({ ok: database === 'ok', database, latencyMs: Date.now() - started }, database === 'ok' ? 200 : 503);
});

async function checkDatabase(env: Env, log: AppEnv['Variables']['log'], waitUntil: (p: Promise<unknown>) => void) {
  let handle: ReturnType<typeof openDb> | undefined;
  try {
    handle = openDb(env, log);
    const answered = await Promise.race([
      handle.db.execute(sql`select 1`).then(() => true),
      sleep(DB_CHECK_TIMEOUT_MS).then(() => false),
    ]);
    if (!answered) log.warn('health.database_timeout', { timeoutMs: DB_CHECK_TIMEOUT_MS });
    return answered ? ('ok' as const) : ('unreachable' as const);
  } catch (err) {
    log.warn('health.database_unreachable', { error: err });
    return 'unreachable' as const;
  } finally {
    if (handle) waitUntil(handle.close());
  }
}
