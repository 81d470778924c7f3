/**
 * Postgres through the Neon serverless driver, two ways:
 * - a WebSocket Pool, one per request or job, for sessions and transactions: Workers must not share
 *   sockets across requests, so there is never a module-level pool;
 * - SQL over HTTP (`neon()`, Neon's `/sql` endpoint) for a lone statement, the webhook's intake:
 *   one fetch, where a Pool would open a WebSocket, log in, and end it again.
 */
import { Pool, neon, neonConfig } from '@neondatabase/serverless';
import { drizzle as drizzleHttp } from 'drizzle-orm/neon-http';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { config, type ConfigEnv } from '../config';
import type { Logger } from '../lib/log';

export type Database = ReturnType<typeof createDb>;
/** One statement at a time over HTTP (Neon's `/sql`): no connection to open, no transaction. */
export type HttpDatabase = ReturnType<typeof drizzleHttp>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything that runs queries: the database or an open transaction. */
export type Queryable = Database | Transaction;

/**
 * Local development and tests reach Postgres through a ws:// byte-pipe proxy (DB_WS_PROXY) that also
 * serves `/sql` over http://; production talks to Neon over wss:// and https:// with the driver's
 * defaults.
 *
 * Pipelining (startup, password and first query in one flight) needs cleartext password auth, which
 * Neon's proxy and the local PgBouncer (`auth_type = plain`) take: it is on when the URL carries a
 * password, as against Neon, and off for a local Postgres reached with trust auth.
 */
function configureDriver(wsProxy: string | null, url: string) {
  if (wsProxy) {
    neonConfig.wsProxy = wsProxy;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = hasPassword(url) ? 'password' : false;
    const httpEndpoint = `http://${wsProxy.split('/')[0]}/sql`;
    neonConfig.fetchEndpoint = () => httpEndpoint;
  }
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/**
 * No relational schema: the code builds its queries with the SQL-like API only, and drizzle would
 * otherwise walk every table's relations again for each request's instance.
 */
function createDb(pool: Pool) {
  return drizzle({ client: pool });
}

export interface DbHandle {
  db: Database;
  pool: Pool;
  /** Ends the pool; pass the promise to ctx.waitUntil so sockets close after the response. */
  close(): Promise<void>;
}

export function openDb(env: ConfigEnv, log: Logger): DbHandle {
  const { databaseUrl } = config(env).secrets;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  configureDriver(config(env).dbWsProxy, databaseUrl);
  const pool = new Pool({
    connectionString: databaseUrl,
    // One connection per request: the ack INSERT and the event processing share it, and a
    // connection (TLS + auth) costs far more than any query we send.
    max: 1,
    connectionTimeoutMillis: 10_000,
    // The pool lives as long as its request: no idle timer to arm and clear around every query.
    idleTimeoutMillis: 0,
  });
  let closed: Promise<void> | undefined;
  // An idle client whose socket drops emits 'error' on the pool; unhandled, it would crash the
  // request. Once the pool is closing, the work is done and a dropped socket costs nothing: workerd
  // reports one when the request that owned it is torn down before the proxy closed it.
  pool.on('error', (err: Error) =>
    closed ? log.info('db.pool_error_while_closing', { error: err }) : log.warn('db.pool_error', { error: err }),
  );
  return {
    db: createDb(pool),
    pool,
    close: () => (closed ??= pool.end().catch((err) => log.warn('db.pool_end_failed', { error: err }))),
  };
}

/**
 * One-statement queries over HTTP: a fetch, where the Pool would open a WebSocket, log in and end it.
 * It holds no socket, so one per database URL serves every request of the isolate.
 */
const httpDbs = new Map<string, HttpDatabase>();

export function openHttpDb(env: ConfigEnv): HttpDatabase {
  const { databaseUrl } = config(env).secrets;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  configureDriver(config(env).dbWsProxy, databaseUrl);
  let db = httpDbs.get(databaseUrl);
  if (!db) {
    db = drizzleHttp({ client: neon(databaseUrl) });
    httpDbs.set(databaseUrl, db);
  }
  return db;
}
