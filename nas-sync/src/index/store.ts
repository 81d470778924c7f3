/**
 * The index in Postgres (`nas_files`): what a walk compares against, and its batched writes.
 * One multi-row statement per batch (arrays bound as single parameters and unnested), so 100,000
 * new files are about a hundred round trips, and an unchanged file costs none.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { nasFiles } from '@linebot-edge/shared/schema';
import { searchTextOf } from '@linebot-edge/shared/search-text';
import type { Db } from '../db.ts';
import { extensionOf } from './ignore.ts';
import type { WalkedFile } from './walk.ts';

export interface IndexedFile {
  id: string;
  size: number;
  mtimeMs: number;
  extension: string;
  searchText: string;
}

/** Every row of one share, by path. */
export async function loadShareIndex(db: Db, share: string): Promise<Map<string, IndexedFile>> {
  const r = await db.execute<{
    id: string;
    path: string;
    size: string;
    mtime_ms: string;
    extension: string;
    search_text: string;
  }>(sql`
    SELECT id, path, size, floor(extract(epoch FROM modified_at) * 1000)::bigint AS mtime_ms, extension, search_text
    FROM ${nasFiles} WHERE share = ${share}`);
  const map = new Map<string, IndexedFile>();
  for (const row of r.rows) {
    map.set(row.path, {
      id: row.id,
      size: Number(row.size),
      mtimeMs: Number(row.mtime_ms),
      extension: row.extension,
      searchText: row.search_text,
    });
  }
  return map;
}

/** The row a walked file should have; `null` when the stored one already says exactly that. */
export function rowFor(share: string, file: WalkedFile, stored: IndexedFile | undefined) {
  const mtimeMs = Math.floor(file.mtimeMs);
  const extension = extensionOf(file.name);
  const searchText = searchTextOf(share, file.path);
  if (
    stored &&
    stored.size === file.size &&
    stored.mtimeMs === mtimeMs &&
    stored.extension === extension &&
    stored.searchText === searchText
  ) {
    return null;
  }
  return { path: file.path, name: file.name, extension, size: file.size, mtimeMs, searchText };
}
export type FileRow = NonNullable<ReturnType<typeof rowFor>>;

/** Inserts new files and updates changed ones in one statement; indexed_at = now() for each. */
export async function upsertFiles(
  db: Db,
  share: string,
  rows: readonly FileRow[],
): Promise<{ inserted: number; updated: number }> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const r = await db.execute<{ inserted: boolean }>(sql`
    INSERT INTO ${nasFiles} (share, path, name, extension, size, modified_at, search_text, indexed_at)
    SELECT ${share}, u.path, u.name, u.extension, u.size, timestamptz 'epoch' + u.mtime_ms * interval '1 millisecond', u.search_text, now()
    FROM unnest(
      ${sql.param(rows.map((x) => x.path))}::text[],
      ${sql.param(rows.map((x) => x.name))}::text[],
      ${sql.param(rows.map((x) => x.extension))}::text[],
      ${sql.param(rows.map((x) => x.size))}::bigint[],
      ${sql.param(rows.map((x) => x.mtimeMs))}::bigint[],
      ${sql.param(rows.map((x) => x.searchText))}::text[]
    ) AS u(path, name, extension, size, mtime_ms, search_text)
    ON CONFLICT (share, path) DO UPDATE SET
      name = excluded.name, extension = excluded.extension, size = excluded.size,
      modified_at = excluded.modified_at, search_text = excluded.search_text, indexed_at = excluded.indexed_at
    RETURNING (xmax = 0) AS inserted`);
  const inserted = r.rows.filter((x) => x.inserted).length;
  return { inserted, updated: r.rows.length - inserted };
}

export async function deleteFiles(db: Db, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.execute(sql`DELETE FROM ${nasFiles} WHERE id = ANY(${sql.param(ids)}::uuid[])`);
  return r.rowCount ?? 0;
}

export interface ShareCounts {
  share: string;
  files: number;
  bytes: number;
  /** The last time a walk wrote a row of this share (an unchanged share keeps its old time). */
  lastChangeAt: Date | null;
}

export async function shareCounts(db: Db): Promise<ShareCounts[]> {
  const r = await db.execute<{ share: string; files: string; bytes: string | null; last: Date | string | null }>(sql`
    SELECT share, count(*) AS files, sum(size) AS bytes, max(indexed_at) AS last FROM ${nasFiles} GROUP BY share ORDER BY share`);
  return r.rows.map((x) => ({
    share: x.share,
    files: Number(x.files),
    bytes: Number(x.bytes ?? 0),
    lastChangeAt: x.last ? new Date(x.last) : null,
  }));
}

/** Advisory-lock keys: this namespace and hashtext(share), so two jobs never walk one share at once. */
const LOCK_NAMESPACE = 0x4e415349; // 'NASI'

/**
 * Runs `fn` holding the share's session-level advisory lock on a connection of its own, or returns
 * 'busy' at once when another job holds it. (If that connection drops the lock goes with it; the
 * worst case is two walks writing the same rows, which converge.)
 */
export async function withShareLock<T>(pool: pg.Pool, share: string, fn: () => Promise<T>): Promise<T | 'busy'> {
  const client = await pool.connect();
  let broken = false;
  try {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      LOCK_NAMESPACE,
      share,
    ]);
    if (!r.rows[0]?.ok) return 'busy';
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, share]).catch(() => {
        broken = true;
      });
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    // A connection whose unlock failed is dropped, never handed back to the pool still locked.
    client.release(broken);
  }
}
