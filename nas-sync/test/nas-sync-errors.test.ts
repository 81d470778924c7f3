/**
 * nas-sync's error texts (its logs and `line_files.sync_error`) keep a failed query's SQL and
 * Postgres' message, never the query's parameters: a real failing query through the job's own
 * database handle (node-postgres), with a secret-looking parameter.
 */
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../src/db.ts';
import { describe as describeForSync } from '../src/download.ts';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const handle = openDatabase(ADMIN_URL, { max: 1 });
afterAll(() => handle.end());

it('a failed query is described with its SQL and Postgres’ message, without its parameters', async () => {
  const secret = `SECRET${crypto.randomUUID().replace(/-/g, '')}`;
  const err = await handle.db.execute(sql`select ${secret}::uuid as id`).then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  // The test can fail: drizzle's message carries the parameter.
  expect(err!.message).toContain(secret);
  const text = describeForSync(err);
  expect(text).not.toContain(secret);
  expect(text).toContain('Failed query: select $1::uuid as id');
  expect(text).toContain('invalid input syntax for type uuid');
});
