/**
 * Node-side fixtures for the tests that run inside workerd: a fresh Postgres database with the
 * migrations applied, the WebSocket proxy the Neon driver needs to reach it, and the LINE API
 * emulator. Their addresses reach the Worker's bindings through provide()/inject.
 */
import type { TestProject } from 'vitest/node';
import { createDatabase, dropDatabase, migrateDatabase } from '../scripts/lib/database.ts';
import { startWsProxy } from '../scripts/lib/ws-proxy.ts';
import { startLineEmulator } from '../scripts/line-emulator/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
    lineApiUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `linebot_test_${Date.now()}_${process.pid}`;
  const databaseUrl = await createDatabase(adminUrl, name);
  await migrateDatabase(databaseUrl);
  const proxy = await startWsProxy();
  const emulator = await startLineEmulator({ port: 0 });

  project.provide('databaseUrl', databaseUrl);
  project.provide('wsProxy', proxy.address);
  project.provide('lineApiUrl', emulator.url);

  return async () => {
    await emulator.close();
    await proxy.close();
    if (!process.env.TEST_KEEP_DATABASE) await dropDatabase(adminUrl, name);
  };
}
