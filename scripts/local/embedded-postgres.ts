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

/** The embedded Postgres listening on its port while it opens its data and migrates. */
export interface StartingPostgres {
  url: string;
  port: number;
  created: boolean;
  /** Resolves once the data is open and migrated (clients that connected earlier wait for this). */
  ready: Promise<EmbeddedPostgres>;
  /** Stops it, ready or not. */
  close(): Promise<void>;
}

/** Opens, migrates and serves the embedded database; resolves once it is ready. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const starting = await listenEmbeddedPostgres(options);
  try {
    return await starting.ready;
  } catch (e) {
    await starting.close();
    throw e;
  }
}

/**
 * Takes the port at once and opens the data behind it: the ~10 s PGlite needs to start and
 * migrate can overlap with whatever starts next (the Worker). Listen errors reject here;
 * open and migration errors reject `ready`.
 */
export async function listenEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<StartingPostgres> {
  const { dataDir } = options;
  const created = !dataDir || !existsSync(join(dataDir, 'PG_VERSION'));
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => {};
  const opened = (async () => {
    if (dataDir) mkdirSync(dirname(dataDir), { recursive: true });
    const db = await PGlite.create(dataDir ? { dataDir } : {});
    try {
      // Idempotent: drizzle records applied migrations in the database itself.
      await migrate(drizzle({ client: db }), { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (e) {
      await db.close().catch(() => {});
      throw e;
    }
    return db;
  })();
  opened.catch(() => {}); // reported through `ready`; never an unhandled rejection meanwhile

  const closeDb = async () => {
    const db = await opened.catch(() => undefined);
    await db?.close(); // flushes the data folder
    releaseLock();
  };
  let server: Awaited<ReturnType<typeof startPgliteServer>>;
  try {
    server = await startPgliteServer({ db: opened, port: options.port, host: options.host, log: options.log });
  } catch (e) {
    await closeDb().catch(() => {});
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await server.close();
      await closeDb();
    })());
  const ready = opened.then(
    (): EmbeddedPostgres => ({
      url: server.url,
      port: server.port,
      created,
      counts: server.counts,
      resetCounts: server.resetCounts,
      close,
    }),
  );
  ready.catch(() => {});
  return { url: server.url, port: server.port, created, ready, close };
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
      throw new UserError(
        `the embedded database ${dataDir} is in use by another process (pid ${pid}); stop it first, or pass --data-dir`,
      );
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
