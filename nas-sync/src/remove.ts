/**
 * Unsend: the Worker sets `remove_requested_at`; this pass deletes the NAS copy (if any), clears
 * `nas_path` and marks the row `removed`. Rows are locked `FOR UPDATE SKIP LOCKED` while their
 * files are deleted, so two jobs never work on the same row, and a download finishing at the same
 * moment (its rename runs under the same row lock) either lands first and is deleted here, or sees
 * the request and discards its temporary file.
 */
import { sql } from 'drizzle-orm';
import { lineFiles } from '@linebot-edge/shared/schema';
import { lineMessageId } from './claim.ts';
import type { Db } from './db.ts';
import { describe } from './download.ts';
import { resolveInside, unlinkInside } from './fs.ts';

export interface RemovalResult {
  /** LINE's message id. */
  messageId: string;
  /** The NAS path that was deleted; null when there was no copy. */
  nasPath: string | null;
  /** Set when the file could not be deleted; the row stays queued and is tried again. */
  error?: string;
}

const f = lineFiles;

export async function processRemovals(db: Db, nasRoot: string, batchSize = 100): Promise<RemovalResult[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; message_id: string; nas_path: string | null }>(sql`
      SELECT ${f.id} AS id, ${lineMessageId} AS message_id, ${f.nasPath} AS nas_path
        FROM ${f}
       WHERE ${f.removeRequestedAt} IS NOT NULL AND ${f.removedAt} IS NULL
       ORDER BY ${f.id}
       LIMIT ${batchSize}
       FOR UPDATE SKIP LOCKED`);
    const results: RemovalResult[] = [];
    const done: string[] = [];
    for (const row of rows.rows) {
      const result: RemovalResult = { messageId: row.message_id, nasPath: row.nas_path };
      if (row.nas_path) {
        try {
          // Its folder must resolve inside NAS_ROOT on disk: a planted symlink must not aim the delete elsewhere.
          await unlinkInside(nasRoot, resolveInside(nasRoot, row.nas_path));
        } catch (e) {
          // Already gone is what we wanted; anything else (NAS unmounted, permissions, a folder
          // resolving outside NAS_ROOT) is retried, the reason kept on the row for the operator.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') result.error = describe(e);
        }
      }
      if (!result.error) done.push(row.id);
      else
        await tx.execute(
          sql`UPDATE ${f} SET sync_error = ${result.error.slice(0, 2000)}, updated_at = now() WHERE ${f.id} = ${row.id}`,
        );
      results.push(result);
    }
    if (done.length > 0) {
      await tx.execute(sql`
        UPDATE ${f}
           SET nas_path = NULL, sync_status = 'removed', removed_at = now(), sync_claimed_at = NULL,
               next_sync_at = NULL, updated_at = now()
         WHERE ${f.id} IN (${sql.join(
           done.map((id) => sql`${id}`),
           sql`, `,
         )})`);
    }
    return results;
  });
}
