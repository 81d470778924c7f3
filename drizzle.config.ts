import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a migration into drizzle/ from src/shared/schema.ts;
// `npm run db:migrate` applies drizzle/ to DATABASE_URL (local Postgres through `pg`, or Neon).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/shared/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? '' },
  strict: true,
  verbose: true,
});
