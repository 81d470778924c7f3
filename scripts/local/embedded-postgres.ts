/**
 * The embedded Postgres for `npm run dev` without DATABASE_URL: PGlite (Postgres compiled to
 * WebAssembly, in this process) keeping its data in a folder, migrated, served on a TCP port.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MIGRATIONS_FOLDER } from '../lib/database.ts';
import type { RoundTripCounts } from '../lib/pg-wire.ts';
import { startPgliteServer } from './pglite-server.ts';
import { UserError } from './ports.ts';

export interface EmbeddedPostgresOptions {
  /** Folder for the data; undefined keeps everything in memory (gone on stop). */
  dataDir?: string;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Whether the data folder was new (no earlier run). */
  created: boolean;
  counts(): RoundTripCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir } = options;
  const created = !dataDir || !existsSync(join(dataDir, 'PG_VERSION'));
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => {};
  let db: PGlite | undefined;
  try {
    if (dataDir) mkdirSync(dirname(dataDir), { recursive: true });
    db = await PGlite.create(dataDir ? { dataDir } : {});
    // Idempotent: drizzle records applied migrations in the database itself.
    await migrate(drizzle({ client: db }), { migrationsFolder: MIGRATIONS_FOLDER });
    const server = await startPgliteServer({ db, port: options.port, host: options.host, log: options.log });
    const pglite = db;
    return {
      url: server.url,
      port: server.port,
      created,
      counts: server.counts,
      resetCounts: server.resetCounts,
      close: async () => {
        await server.close();
        await pglite.close(); // flushes the data folder
        releaseLock();
      },
    };
  } catch (e) {
    await db?.close().catch(() => {});
    releaseLock();
    throw e;
  }
}

/**
 * PGlite is one process's database: two at once on one folder would corrupt it. A lock file
 * with the owner's pid; a stale one (its process is gone) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lock = `${dataDir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new UserError(`the embedded database ${dataDir} is in use by another process (pid ${pid}); stop it first, or pass --data-dir`);
    }
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
