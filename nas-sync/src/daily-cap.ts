/**
 * The daily cap: media copied per LINE sender per Asia/Taipei day is at most
 * NAS_SYNC_DAILY_BYTES_PER_USER bytes, so anyone who befriends the account cannot fill the NAS.
 *
 * What counts: the `file_size` of the sender's files whose `synced_at` falls in today's Taipei day,
 * whatever became of them since (an unsent copy was still written). The sender is
 * `line_messages.line_user_id` of the file's message; files without one share one allowance.
 *
 * Where it is enforced: when a finished download is recorded (finalizeSynced), under a per-sender
 * transaction advisory lock, so two jobs (or two slots of one) cannot both pass the check and
 * together exceed the cap: the second waits for the first's commit and counts its file. In-flight
 * downloads hold no reservation: at worst a few parallel downloads of one sender are made and then
 * discarded (bandwidth, never NAS space). Before writing, the size LINE announces (Content-Length)
 * is checked against what is already copied today, so once a sender is over the cap their further
 * files are not even downloaded; a download without a Content-Length is counted after.
 *
 * A file over the cap waits: it stays `pending` (attempts unchanged) with the reason in
 * `sync_error` and `next_sync_at` at the next Taipei midnight. A single file larger than the whole
 * cap could never be copied: it is marked `failed` with a reason that says what to change.
 */
import { sql } from 'drizzle-orm';
import { lineFiles, lineMessages } from '@linebot-edge/shared/schema';
import { formatBinaryBytes } from './bytes.ts';
import type { Db } from './db.ts';

export const CAP_TIME_ZONE = 'Asia/Taipei';
export const DEFAULT_DAILY_BYTES_PER_USER = 1_073_741_824; // 1 GiB
/** Bounds of NAS_SYNC_DAILY_BYTES_PER_USER: one phone photo a day at least, 1 TiB (no cap in practice) at most. */
export const DAILY_BYTES_MIN = 1_048_576; // 1 MiB
export const DAILY_BYTES_MAX = 1_099_511_627_776; // 1 TiB

/** Every reason written for a waiting file starts so (`--status` counts them by it). */
export const DAILY_LIMIT_PREFIX = 'daily limit of ';

export const dailyLimitReason = (cap: number): string =>
  `${DAILY_LIMIT_PREFIX}${formatBinaryBytes(cap)} per sender reached; copied after 00:00 ${CAP_TIME_ZONE}`;

export const tooLargeReason = (size: number, cap: number): string =>
  `${formatBinaryBytes(size)} is more than the daily limit of ${formatBinaryBytes(cap)} per sender: it can never be copied; ` +
  'raise NAS_SYNC_DAILY_BYTES_PER_USER, then run --retry-failed';

const taipeiToday = sql`date_trunc('day', now() AT TIME ZONE ${CAP_TIME_ZONE})`;
/** The start of today and of tomorrow in Taipei, as timestamptz (by the database's clock). */
const dayStart = sql`(${taipeiToday} AT TIME ZONE ${CAP_TIME_ZONE})`;
export const nextMidnight = sql`((${taipeiToday} + interval '1 day') AT TIME ZONE ${CAP_TIME_ZONE})`;

type Executor = Pick<Db, 'execute'>;

/** Bytes of the sender's files copied today (Taipei). */
export async function copiedToday(db: Executor, senderId: string | null): Promise<number> {
  const f = lineFiles;
  const m = lineMessages;
  // line_files_synced_idx finds today's copies; each is joined to its message by primary key.
  const r = await db.execute<{ used: string | number }>(sql`
    SELECT coalesce(sum(${f.fileSize}), 0) AS used
      FROM ${f} JOIN ${m} ON ${m.id} = ${f.messageId}
     WHERE ${f.syncedAt} >= ${dayStart} AND ${f.syncedAt} < ${nextMidnight}
       AND ${m.lineUserId} IS NOT DISTINCT FROM ${senderId}::uuid`);
  return Number(r.rows[0]?.used ?? 0);
}

export type CapDecision = 'ok' | 'daily_limit' | 'too_large';

/** Whether `size` more bytes of this sender fit in today's allowance (`used` already copied). */
export function decide(size: number, used: number, cap: number): CapDecision {
  if (size > cap) return 'too_large';
  return used + size > cap ? 'daily_limit' : 'ok';
}

/** The per-sender lock held until the transaction ends, so checks and copies of one sender take turns. */
export async function lockSender(tx: Executor, senderId: string | null): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${senderId ?? '-'}))`);
}

const LOCK_NAMESPACE = 0x4e415343; // 'NASC' (the indexer's share locks use 'NASI')
