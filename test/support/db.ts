/** Reading and poking the test database from inside workerd, through the same Neon driver the Worker uses. */
import { env } from 'cloudflare:test';
import { openDb, type Database } from '../../src/db/client';
import { createLogger } from '../../src/lib/log';

export async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const handle = openDb(env, createLogger({ test: true }));
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}
