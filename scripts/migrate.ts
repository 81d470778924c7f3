/**
 * `npm run db:migrate`: applies drizzle/ to DATABASE_URL (local Postgres, or Neon: use its direct,
 * unpooled connection string with sslmode=require), in one transaction, and says what happened.
 *
 * drizzle's own migrator, not `drizzle-kit migrate`: drizzle-kit 0.31.10+ exits 1 without printing
 * why (drizzle-team/drizzle-orm#6121). Both record applied migrations in drizzle.__drizzle_migrations.
 */
import pg from 'pg';
import { MIGRATIONS_FOLDER, migrateDatabase } from './lib/database.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: DATABASE_URL=postgres://... npm run db:migrate');
  process.exit(2);
}

const applied = async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client
      .query(`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`)
      .catch(() => ({ rows: [{ n: 0 }] }));
    return r.rows[0].n as number;
  } finally {
    await client.end();
  }
};

try {
  const before = await applied();
  await migrateDatabase(url);
  const after = await applied();
  console.log(
    after > before
      ? `migrations applied successfully: ${after - before} new (${after} in all, from ${MIGRATIONS_FOLDER})`
      : `database is up to date (${after} migrations)`,
  );
} catch (e) {
  // drizzle wraps what Postgres said in `cause`: that is the useful part.
  const err = (e as { cause?: unknown }).cause ?? e;
  const { message, detail, constraint } = err as { message?: string; detail?: string; constraint?: string };
  console.error(
    `migration failed, nothing was changed: ${message ?? String(err)}${detail ? `\n  ${detail}` : ''}${constraint ? `\n  (constraint ${constraint})` : ''}`,
  );
  process.exit(1);
}
