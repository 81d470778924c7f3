/**
 * The queue in `line_files`: claiming rows, keeping a claim alive, and recording each outcome.
 *
 * A claim is `sync_claimed_at`, set by one UPDATE over rows picked `FOR UPDATE SKIP LOCKED`, so
 * several copies of the job never take the same row. The timestamp doubles as the claim's token:
 * every later write says `WHERE sync_claimed_at = <token>`, so a job whose claim was taken over
 * (it stalled past the lease) cannot overwrite the new owner's result. A running download renews
 * its claim (heartbeat); a claim older than the lease belongs to a job that died and is taken over.
 */
import { sql } from 'drizzle-orm';
import { lineFiles, lineGroups, lineMessages, lineUsers } from '@linebot-edge/shared/schema';
import {
  copiedToday,
  dailyLimitReason,
  decide,
  DAILY_LIMIT_PREFIX,
  lockSender,
  nextMidnight,
  tooLargeReason,
  type CapDecision,
} from './daily-cap.ts';
import type { Db } from './db.ts';

export interface ClaimedFile {
  /** `line_files.id` (a UUID). */
  id: string;
  /** LINE's message id (`line_messages.message_id`): the content URL and the NAS path use it. */
  messageId: string;
  fileType: string;
  fileName: string | null;
  /** Failures so far (a claim taken over from a dead job counts as one). */
  attempts: number;
  /** `sync_claimed_at` as Postgres prints it (microseconds kept): the claim's token. */
  claimToken: string;
  /** The row was claimed by a job that died (its lease ran out) and is now ours. */
  takenOver: boolean;
  sentAt: Date;
  /** The sender (`line_messages.line_user_id`, our id; null when LINE named none): the daily cap's key. */
  senderId: string | null;
  lineUserId: string | null;
  lineGroupId: string | null;
}

const f = lineFiles;
/**
 * LINE's message id of a `line_files` row, for what people read (logs, `--status`). A scalar
 * subquery rather than a join, so `FOR UPDATE` in the callers locks only `line_files` rows.
 */
export const lineMessageId = sql`(SELECT ${lineMessages.messageId} FROM ${lineMessages} WHERE ${lineMessages.id} = ${f.messageId})`;
const ABANDONED = 'claim abandoned: the job holding it stopped before finishing';

/**
 * `due` = rows whose next_sync_at has passed by `dueBefore` (default now); `--once` passes its
 * start, as Postgres printed it (databaseNow: microseconds kept).
 */
export async function claimFiles(
  db: Db,
  options: { limit: number; leaseMs: number; dueBefore?: string },
): Promise<ClaimedFile[]> {
  if (options.limit <= 0) return [];
  const due = options.dueBefore ? sql`${options.dueBefore}::timestamptz` : sql`now()`;
  const stale = sql`clock_timestamp() - ${`${options.leaseMs} milliseconds`}::interval`;
  const result = await db.execute<{
    id: string;
    message_id: string;
    file_type: string;
    file_name: string | null;
    sync_attempts: number;
    claim_token: string;
    taken_over: boolean;
    sent_at: Date | string;
    sender_id: string | null;
    line_user_id: string | null;
    line_group_id: string | null;
  }>(sql`
    WITH picked AS (
      SELECT ${f.id} AS id, ${f.syncClaimedAt} IS NOT NULL AS taken_over
        FROM ${f}
       WHERE ${f.syncStatus} = 'pending'
         AND ${f.removeRequestedAt} IS NULL
         AND (${f.nextSyncAt} IS NULL OR ${f.nextSyncAt} <= ${due})
         AND (${f.syncClaimedAt} IS NULL OR ${f.syncClaimedAt} < ${stale})
       -- Oldest first (LINE deletes content after a while); ids are random UUIDs, so created_at ranks.
       ORDER BY ${f.nextSyncAt} NULLS FIRST, ${f.createdAt}, ${f.id}
       LIMIT ${options.limit}
       FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE ${f}
         SET sync_claimed_at = clock_timestamp(),
             sync_attempts = ${f.syncAttempts} + (CASE WHEN picked.taken_over THEN 1 ELSE 0 END),
             sync_error = CASE WHEN picked.taken_over THEN ${ABANDONED} ELSE ${f.syncError} END
        FROM picked
       WHERE ${f.id} = picked.id
       RETURNING ${f.id} AS id, ${f.messageId} AS message_pk, ${f.fileType} AS file_type,
                 ${f.fileName} AS file_name, ${f.syncAttempts} AS sync_attempts,
                 ${f.syncClaimedAt}::text AS claim_token, picked.taken_over
    )
    SELECT c.id, m.message_id, c.file_type, c.file_name, c.sync_attempts, c.claim_token, c.taken_over,
           m.sent_at, m.line_user_id AS sender_id, u.line_user_id, g.line_group_id
      FROM claimed c
      JOIN ${lineMessages} m ON m.id = c.message_pk
      LEFT JOIN ${lineUsers} u ON u.id = m.line_user_id
      LEFT JOIN ${lineGroups} g ON g.id = m.line_group_id
     ORDER BY c.id`);
  return result.rows.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    fileType: r.file_type,
    fileName: r.file_name,
    attempts: Number(r.sync_attempts),
    claimToken: r.claim_token,
    takenOver: Boolean(r.taken_over),
    sentAt: r.sent_at instanceof Date ? r.sent_at : new Date(r.sent_at),
    senderId: r.sender_id,
    lineUserId: r.line_user_id,
    lineGroupId: r.line_group_id,
  }));
}

const ours = (file: ClaimedFile) => sql`${f.id} = ${file.id} AND ${f.syncClaimedAt} = ${file.claimToken}::timestamptz`;

/** Renews the claim (heartbeat); false when it is no longer ours (taken over, or the row was removed). */
export async function renewClaim(db: Db, file: ClaimedFile): Promise<boolean> {
  const r = await db.execute<{ token: string }>(sql`
    UPDATE ${f} SET sync_claimed_at = clock_timestamp()
     WHERE ${ours(file)} AND ${f.syncStatus} = 'pending' AND ${f.removeRequestedAt} IS NULL
     RETURNING ${f.syncClaimedAt}::text AS token`);
  const token = r.rows[0]?.token;
  if (token === undefined) return false;
  file.claimToken = token;
  return true;
}

/** Gives the row back untouched (shutdown): another job, or this one restarted, takes it at once. */
export async function releaseClaim(db: Db, file: ClaimedFile): Promise<void> {
  await db.execute(sql`UPDATE ${f} SET sync_claimed_at = NULL WHERE ${ours(file)}`);
}

/** 202: LINE is still preparing the video or audio. Not a failure; try again after `delayMs`. */
export async function markPreparing(db: Db, file: ClaimedFile, delayMs: number): Promise<boolean> {
  const r = await db.execute(sql`
    UPDATE ${f}
       SET sync_claimed_at = NULL, next_sync_at = now() + ${`${delayMs} milliseconds`}::interval,
           sync_error = 'content not ready yet (202): LINE is still preparing it', updated_at = now()
     WHERE ${ours(file)}`);
  return (r.rowCount ?? 0) > 0;
}

/** 404 / 410: unsent or expired at LINE. Final: the job never asks again. */
export async function markUnavailable(db: Db, file: ClaimedFile, reason: string): Promise<boolean> {
  const r = await db.execute(sql`
    UPDATE ${f}
       SET sync_status = 'unavailable', sync_error = ${reason.slice(0, 2000)}, sync_claimed_at = NULL,
           next_sync_at = NULL, updated_at = now()
     WHERE ${ours(file)}`);
  return (r.rowCount ?? 0) > 0;
}

/**
 * A failure (429, 5xx, network, disk): one more attempt counted; retried after `delayMs`, or
 * marked `failed` once `maxAttempts` is reached. Null when the claim was no longer ours.
 */
export async function markFailure(
  db: Db,
  file: ClaimedFile,
  error: string,
  delayMs: number,
  maxAttempts: number,
): Promise<{ status: 'pending' | 'failed'; attempts: number } | null> {
  const r = await db.execute<{ sync_status: 'pending' | 'failed'; sync_attempts: number }>(sql`
    UPDATE ${f}
       SET sync_attempts = ${f.syncAttempts} + 1,
           sync_status = CASE WHEN ${f.syncAttempts} + 1 >= ${maxAttempts} THEN 'failed' ELSE 'pending' END,
           next_sync_at = CASE WHEN ${f.syncAttempts} + 1 >= ${maxAttempts} THEN NULL
                               ELSE now() + ${`${delayMs} milliseconds`}::interval END,
           sync_error = ${error.slice(0, 2000)}, sync_claimed_at = NULL, updated_at = now()
     WHERE ${ours(file)}
     RETURNING ${f.syncStatus} AS sync_status, ${f.syncAttempts} AS sync_attempts`);
  const row = r.rows[0];
  return row ? { status: row.sync_status, attempts: Number(row.sync_attempts) } : null;
}

export interface SyncedFields {
  nasPath: string;
  fileSize: number;
  mimeType: string | null;
  sha256: string;
}

/**
 * Records a finished download. `moveIntoPlace` (the rename of the temporary file) runs while the
 * row is locked and only if the claim is still ours and no unsend arrived meanwhile, so the
 * removal pass (which locks the row too) can never miss a file that lands. If it throws, nothing
 * is recorded. With `dailyBytesPerSender`, the file is copied only if it fits in its sender's
 * allowance for today, checked under the sender's lock (daily-cap.ts); otherwise
 * the row waits for tomorrow ('daily_limit') or, bigger than the whole cap, fails ('too_large').
 */
export async function finalizeSynced(
  db: Db,
  file: ClaimedFile,
  fields: SyncedFields,
  moveIntoPlace: () => Promise<void>,
  dailyBytesPerSender?: number,
): Promise<'synced' | 'claim_lost' | 'remove_requested' | CapDecision> {
  return db.transaction(async (tx) => {
    const r = await tx.execute<{ ours: boolean; remove: boolean }>(sql`
      SELECT ${f.syncClaimedAt} IS NOT DISTINCT FROM ${file.claimToken}::timestamptz AND ${f.syncStatus} = 'pending' AS ours,
             ${f.removeRequestedAt} IS NOT NULL AS remove
        FROM ${f} WHERE ${f.id} = ${file.id} FOR UPDATE`);
    const row = r.rows[0];
    if (!row?.ours) return 'claim_lost';
    if (row.remove) return 'remove_requested';
    if (dailyBytesPerSender !== undefined) {
      await lockSender(tx, file.senderId);
      const decision = decide(fields.fileSize, await copiedToday(tx, file.senderId), dailyBytesPerSender);
      if (decision !== 'ok') {
        await recordOverCap(tx, file, decision, fields.fileSize, dailyBytesPerSender);
        return decision;
      }
    }
    await moveIntoPlace();
    await tx.execute(sql`
      UPDATE ${f}
         SET nas_path = ${fields.nasPath}, file_size = ${fields.fileSize}, mime_type = ${fields.mimeType?.slice(0, 255) ?? null},
             sha256 = ${fields.sha256}, sync_status = 'synced', sync_error = NULL, sync_claimed_at = NULL,
             next_sync_at = NULL, synced_at = now(), updated_at = now()
       WHERE ${f.id} = ${file.id}`);
    return 'synced';
  });
}

/**
 * A file over its sender's daily cap: 'daily_limit' waits (still pending, attempts unchanged) until
 * the next Taipei midnight; 'too_large' (more than the whole cap) is failed at once, as no day
 * would fit it. False when the claim was no longer ours.
 */
export async function recordOverCap(
  db: Pick<Db, 'execute'>,
  file: ClaimedFile,
  decision: Exclude<CapDecision, 'ok'>,
  size: number,
  cap: number,
): Promise<boolean> {
  const r =
    decision === 'daily_limit'
      ? await db.execute(sql`
          UPDATE ${f}
             SET sync_claimed_at = NULL, next_sync_at = ${nextMidnight}, sync_error = ${dailyLimitReason(cap)}, updated_at = now()
           WHERE ${ours(file)}`)
      : await db.execute(sql`
          UPDATE ${f}
             SET sync_status = 'failed', sync_claimed_at = NULL, next_sync_at = NULL, sync_error = ${tooLargeReason(size, cap)}, updated_at = now()
           WHERE ${ours(file)}`);
  return (r.rowCount ?? 0) > 0;
}

export interface StatusCounts {
  /** Pending rows (not yet on the NAS), whether due now or later. */
  waiting: number;
  /** Of those, due now. */
  due: number;
  /** Of those, claimed by a running job. */
  inProgress: number;
  /** Of those, retrying after at least one failure. */
  retrying: number;
  /** Of those, waiting for the next Taipei day: their sender reached the daily cap. */
  dailyLimited: number;
  synced: number;
  failed: number;
  unavailable: number;
  removed: number;
  /** Unsent files whose NAS copy the job has yet to delete. */
  removalPending: number;
  /** Age in seconds of the oldest waiting row (null when none wait): alert when this grows. */
  oldestWaitingSeconds: number | null;
}

export async function statusCounts(db: Db, leaseMs: number): Promise<StatusCounts> {
  const waiting = sql`${f.syncStatus} = 'pending' AND ${f.removeRequestedAt} IS NULL`;
  const r = await db.execute<Record<string, string | number | null>>(sql`
    SELECT count(*) FILTER (WHERE ${waiting}) AS waiting,
           count(*) FILTER (WHERE ${waiting} AND (${f.nextSyncAt} IS NULL OR ${f.nextSyncAt} <= now())) AS due,
           count(*) FILTER (WHERE ${waiting} AND ${f.syncClaimedAt} >= now() - ${`${leaseMs} milliseconds`}::interval) AS in_progress,
           count(*) FILTER (WHERE ${waiting} AND ${f.syncAttempts} > 0) AS retrying,
           count(*) FILTER (WHERE ${waiting} AND ${f.nextSyncAt} > now() AND starts_with(${f.syncError}, ${DAILY_LIMIT_PREFIX})) AS daily_limited,
           count(*) FILTER (WHERE ${f.syncStatus} = 'synced') AS synced,
           count(*) FILTER (WHERE ${f.syncStatus} = 'failed') AS failed,
           count(*) FILTER (WHERE ${f.syncStatus} = 'unavailable') AS unavailable,
           count(*) FILTER (WHERE ${f.syncStatus} = 'removed') AS removed,
           count(*) FILTER (WHERE ${f.removeRequestedAt} IS NOT NULL AND ${f.removedAt} IS NULL) AS removal_pending,
           floor(extract(epoch FROM now() - min(${f.createdAt}) FILTER (WHERE ${waiting}))) AS oldest_waiting_seconds
      FROM ${f}`);
  const row = r.rows[0] ?? {};
  const n = (k: string) => Number(row[k] ?? 0);
  return {
    waiting: n('waiting'),
    due: n('due'),
    inProgress: n('in_progress'),
    retrying: n('retrying'),
    dailyLimited: n('daily_limited'),
    synced: n('synced'),
    failed: n('failed'),
    unavailable: n('unavailable'),
    removed: n('removed'),
    removalPending: n('removal_pending'),
    oldestWaitingSeconds:
      row.oldest_waiting_seconds === null || row.oldest_waiting_seconds === undefined
        ? null
        : Number(row.oldest_waiting_seconds),
  };
}

/** The most recent failed rows with their errors (for `--status`), named by LINE's message id. */
export async function recentFailures(
  db: Db,
  limit = 5,
): Promise<{ messageId: string; attempts: number; error: string | null }[]> {
  const r = await db.execute<{ message_id: string; sync_attempts: number; sync_error: string | null }>(sql`
    SELECT ${lineMessageId} AS message_id, ${f.syncAttempts} AS sync_attempts, ${f.syncError} AS sync_error
      FROM ${f} WHERE ${f.syncStatus} = 'failed' ORDER BY ${f.updatedAt} DESC LIMIT ${limit}`);
  return r.rows.map((x) => ({ messageId: x.message_id, attempts: Number(x.sync_attempts), error: x.sync_error }));
}

/** `--retry-failed`: failed rows go back in the queue with their attempts reset. */
export async function retryFailed(db: Db): Promise<number> {
  const r = await db.execute(sql`
    UPDATE ${f} SET sync_status = 'pending', sync_attempts = 0, next_sync_at = NULL, sync_claimed_at = NULL, updated_at = now()
     WHERE ${f.syncStatus} = 'failed' AND ${f.removeRequestedAt} IS NULL`);
  return r.rowCount ?? 0;
}
