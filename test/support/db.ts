/** Reading and poking the test database from inside workerd, through the same Neon driver the Worker uses. */
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { TransactionRollbackError } from 'drizzle-orm/errors';
import { openDb, type Database, type Transaction } from '../../src/db/client';
import { createLogger } from '../../src/lib/log';

export async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const handle = openDb(env, createLogger({ test: true }));
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/**
 * Runs `fn` in a REPEATABLE READ transaction that is rolled back: its figures see one snapshot
 * plus this test's own rows, so other test files writing to the shared database cannot move them.
 */
export async function inSnapshot(fn: (tx: Transaction) => Promise<void>) {
  await withDb((db) =>
    db
      .transaction(
        async (tx) => {
          await fn(tx);
          tx.rollback();
        },
        { isolationLevel: 'repeatable read' },
      )
      .catch((err) => {
        if (!(err instanceof TransactionRollbackError)) throw err;
      }),
  );
}

/** The start of today in Asia/Taipei, as Postgres computes it. */
export const taipeiMidnight = sql`((now() AT TIME ZONE 'Asia/Taipei')::date::timestamp AT TIME ZONE 'Asia/Taipei')`;
