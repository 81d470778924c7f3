/**
 * Node-side fixtures for the tests that run inside workerd: a fresh Postgres database with the
 * migrations applied, the WebSocket proxy the Neon driver needs to reach it, and the LINE API
 * emulator. Their addresses reach the Worker's bindings through provide()/inject.
 *
 * The `worker` project reaches the database the way production reaches Neon's pooled endpoint:
 * through PgBouncer (transaction pooling) with a password, so the driver pipelines its login. The
 * `worker-direct` project runs the ingestion tests straight into Postgres (trust auth, no pipelining).
 * Without pgbouncer installed the `worker` project falls back to the direct path and says so; in CI
 * (CI=true) a missing pgbouncer is an error.
 */
import type { TestProject } from 'vitest/node';
import { createDatabase, dropDatabase, migrateDatabase, withDatabase } from '../scripts/lib/database.ts';
import {
  ensurePooledRole,
  pgbouncerAvailable,
  POOLED_ROLE,
  startPgBouncer,
  type PgBouncer,
} from '../scripts/lib/pgbouncer.ts';
import { startWsProxy } from '../scripts/lib/ws-proxy.ts';
import { startClaudeEmulator } from '../scripts/claude-emulator/index.ts';
import { startLineEmulator } from '../scripts/line-emulator/index.ts';

// What this provides is declared once, in test/support/provided.d.ts (the worker tests inject it).

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `linebot_test_${Date.now()}_${process.pid}_${project.name.replace(/[^a-z0-9]/g, '_')}`;
  const wantPooled = project.name === 'worker';
  if (wantPooled && !pgbouncerAvailable()) {
    const message =
      'pgbouncer is not installed: the worker tests run on the direct database path only (install it: scripts/install-system-packages.sh)';
    if (process.env.CI) throw new Error(message);
    console.warn(`\n${message}\n`);
  }
  const pooled = wantPooled && pgbouncerAvailable();

  let pgbouncer: PgBouncer | undefined;
  let databaseUrl: string;
  if (pooled) {
    await ensurePooledRole(adminUrl);
    const ownerUrl = withDatabase(adminUrl.replace(/\/\/[^@/]*@/, `//${POOLED_ROLE.user}@`), name);
    await createDatabase(adminUrl, name, POOLED_ROLE.user);
    await migrateDatabase(ownerUrl);
    pgbouncer = await startPgBouncer();
    databaseUrl = pgbouncer.urlFor(name);
  } else {
    databaseUrl = await createDatabase(adminUrl, name);
    await migrateDatabase(databaseUrl);
  }
  const proxy = await startWsProxy();
  const emulator = await startLineEmulator({ port: 0 });
  const claude = await startClaudeEmulator({ port: 0 });

  project.provide('databaseUrl', databaseUrl);
  project.provide('wsProxy', proxy.address);
  project.provide('lineApiUrl', emulator.url);
  project.provide('claudeApiUrl', claude.url);
  project.provide('databasePath', pooled ? 'pooled' : 'direct');

  return async () => {
    await emulator.close();
    await claude.close();
    await proxy.close();
    await pgbouncer?.close();
    if (!process.env.TEST_KEEP_DATABASE) await dropDatabase(adminUrl, name);
  };
}
