/**
 * Postgres through the Neon serverless driver (WebSocket Pool), one pool per request or job:
 * Workers must not share sockets across requests, so there is never a module-level pool.
 */
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { Logger } from '../lib/log';
import * as schema from '@linebot-edge/shared/schema';

export type Database = ReturnType<typeof createDb>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything that runs queries: the database or an open transaction. */
export type Queryable = Database | Transaction;

export interface DbEnv {
  DATABASE_URL: string;
  DB_WS_PROXY?: string;
}

/**
 * Local development and tests reach Postgres through a ws:// byte-pipe proxy (DB_WS_PROXY);
 * production talks to Neon over wss:// with the driver's defaults.
 *
 * Pipelining (startup, password and first query in one flight) needs cleartext password auth, which
 * Neon's proxy and the local PgBouncer (`auth_type = plain`) take: it is on when the URL carries a
 * password, as against Neon, and off for a local Postgres reached with trust auth.
 */
function configureDriver(env: DbEnv) {
  if (env.DB_WS_PROXY) {
    neonConfig.wsProxy = env.DB_WS_PROXY;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = hasPassword(env.DATABASE_URL) ? 'password' : false;
  }
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

function createDb(pool: Pool) {
  return drizzle({ client: pool, schema });
}

export interface DbHandle {
  db: Database;
  pool: Pool;
  /** Ends the pool; pass the promise to ctx.waitUntil so sockets close after the response. */
  close(): Promise<void>;
}

export function openDb(env: DbEnv, log: Logger): DbHandle {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  configureDriver(env);
  const pool = new Pool({
    connectionString: env.DATABASE_URL,
    // One connection per request: the ack INSERT and the event processing share it, and a
    // connection (TLS + auth) costs far more than any query we send.
    max: 1,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose socket drops emits 'error' on the pool; unhandled, it would crash the request.
  pool.on('error', (err: Error) => log.warn('db.pool_error', { error: err }));
  let closed: Promise<void> | undefined;
  return {
    db: createDb(pool),
    pool,
    close: () => (closed ??= pool.end().catch((err) => log.warn('db.pool_end_failed', { error: err }))),
  };
}
