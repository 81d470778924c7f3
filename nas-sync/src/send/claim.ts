/**
 * The send queue in `nas_send_requests`, from the job's side: claiming open requests, keeping a
 * claim alive while uploading, and giving one back.
 *
 * A claim is one UPDATE (status 'uploading', claimed_by, claimed_at, attempts + 1) over rows picked
 * `FOR UPDATE SKIP LOCKED`, so several jobs never take the same request; a claim whose claimed_at
 * is older than the lease belongs to a job that died and is taken over. (claimed_by, attempts)
 * names one claim: a job whose claim was taken over cannot renew or release the new owner's.
 * Everything after 'uploading' belongs to the Worker (the upload and failure endpoints).
 */
import { sql } from 'drizzle-orm';
import { nasSendRequests } from '@linebot-edge/shared/schema';
import type { Db } from '../db.ts';

export interface ClaimedSend {
  id: string;
  share: string;
  path: string;
  name: string;
  /** The indexed file's snapshot: the job sends only if the NAS still has exactly this. */
  size: number;
  /** modified_at in whole milliseconds (Postgres keeps microseconds; the index compares at ms). */
  modifiedMs: number;
  /** This claim's number (1 = first claim); with claimed_by it names the claim. */
  attempts: number;
  /** The request was 'uploading' under a job whose lease ran out. */
  takenOver: boolean;
}

const r = nasSendRequests;

/**
 * Claims up to `limit` open requests of `shares`, oldest first. `openedBefore` (--once: the run's
 * start by the database's clock) leaves requests created later for the next run.
 */
export async function claimSends(
  db: Db,
  options: { limit: number; leaseMs: number; claimedBy: string; shares: readonly string[]; openedBefore?: string },
): Promise<ClaimedSend[]> {
  if (options.limit <= 0 || options.shares.length === 0) return [];
  const stale = sql`clock_timestamp() - ${`${options.leaseMs} milliseconds`}::interval`;
  const opened = options.openedBefore ? sql`AND ${r.createdAt} <= ${options.openedBefore}::timestamptz` : sql``;
  const result = await db.execute<{
    id: string;
    share: string;
    path: string;
    name: string;
    size: string | number;
    modified_ms: string | number;
    attempts: number;
    taken_over: boolean;
  }>(sql`
    WITH picked AS (
      SELECT ${r.id} AS id, ${r.status} = 'uploading' AS taken_over
        FROM ${r}
       WHERE ${r.share} IN ${options.shares}
         AND (${r.status} = 'pending' OR (${r.status} = 'uploading' AND ${r.claimedAt} < ${stale}))
         ${opened}
       ORDER BY ${r.createdAt}, ${r.id}
       LIMIT ${options.limit}
       FOR UPDATE SKIP LOCKED
    )
    UPDATE ${r}
       SET status = 'uploading', claimed_by = ${options.claimedBy}, claimed_at = clock_timestamp(),
           attempts = ${r.attempts} + 1, updated_at = now()
      FROM picked
     WHERE ${r.id} = picked.id
    RETURNING ${r.id} AS id, ${r.share} AS share, ${r.path} AS path, ${r.name} AS name, ${r.size} AS size,
              floor(extract(epoch FROM ${r.modifiedAt}) * 1000) AS modified_ms, ${r.attempts} AS attempts,
              picked.taken_over`);
  return result.rows.map((x) => ({
    id: x.id,
    share: x.share,
    path: x.path,
    name: x.name,
    size: Number(x.size),
    modifiedMs: Number(x.modified_ms),
    attempts: x.attempts,
    takenOver: x.taken_over,
  }));
}

const ours = (claim: ClaimedSend, claimedBy: string) =>
  sql`${r.id} = ${claim.id} AND ${r.status} = 'uploading' AND ${r.claimedBy} = ${claimedBy} AND ${r.attempts} = ${claim.attempts}`;

/** Heartbeat: true while the claim is still ours and open (false: taken over, or the Worker moved it on). */
export async function renewSendClaim(db: Db, claim: ClaimedSend, claimedBy: string): Promise<boolean> {
  const res = await db.execute(sql`UPDATE ${r} SET claimed_at = clock_timestamp() WHERE ${ours(claim, claimedBy)}`);
  return (res.rowCount ?? 0) > 0;
}

/** Gives a claim back (shutdown, or trouble on this machine): pending again, for any job. */
export async function releaseSendClaim(db: Db, claim: ClaimedSend, claimedBy: string): Promise<boolean> {
  const res = await db.execute(
    sql`UPDATE ${r} SET status = 'pending', claimed_at = NULL, claimed_by = NULL, updated_at = now() WHERE ${ours(claim, claimedBy)}`,
  );
  return (res.rowCount ?? 0) > 0;
}
