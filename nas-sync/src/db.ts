/** The job's database handle: the Node `pg` driver (plain TCP; TLS per `sslmode`) and the shared schema. */
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from '@linebot-edge/shared/schema';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  end(): Promise<void>;
}

export function openDatabase(url: string, options: { max: number; onError?: (e: Error) => void }): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    application_name: 'linebot-nas-sync',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 15_000,
  });
  // An idle client losing its connection (Postgres restart, network blip) must not crash the job.
  pool.on('error', (e) => options.onError?.(e));
  const db = drizzle({ client: pool, schema });
  let ended: Promise<void> | undefined;
  return { db, pool, end: () => (ended ??= pool.end()) };
}

/**
 * The database's clock now, as text with microseconds: the start of a `--once` run, compared with
 * times Postgres wrote (a JS Date would keep milliseconds only, and a row due in the same
 * millisecond would be left for the next run).
 */
export async function databaseNow(db: Pick<Db, 'execute'>): Promise<string> {
  const res = await db.execute<{ now: string }>(sql`SELECT clock_timestamp()::text AS now`);
  return res.rows[0]!.now;
}
