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

/**
 * Every text, varchar, char, json and jsonb column of every table in `public` that holds `needle`
 * somewhere (`table.column`), each searched with a parameterised query: "the text is gone" means this is empty.
 */
export async function columnsHolding(needle: string): Promise<string[]> {
  return withDb(async (db) => {
    const columns = await db.execute<{ table_name: string; column_name: string }>(sql`
      SELECT c.table_name, c.column_name FROM information_schema.columns c
        JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
       WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
       ORDER BY 1, 2`);
    const found: string[] = [];
    for (const { table_name, column_name } of columns.rows) {
      const col = sql.identifier(column_name);
      const hits = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM ${sql.identifier(table_name)} WHERE strpos(${col}::text, ${needle}) > 0`,
      );
      if (hits.rows[0]!.n > 0) found.push(`${table_name}.${column_name}`);
    }
    return found;
  });
}
