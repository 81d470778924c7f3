/**
 * The sync engine: keeps up to `concurrency` downloads running, claiming rows as slots free up,
 * polls when idle (woken early by a NOTIFY when new rows arrive), and runs the unsend removals.
 * `once` processes what is due when it starts (rows it reschedules are left for the next run) and
 * returns.
 */
import { unlink } from 'node:fs/promises';
import {
  claimFiles,
  finalizeSynced,
  markFailure,
  recordOverCap,
  markPreparing,
  markUnavailable,
  releaseClaim,
  renewClaim,
  type ClaimedFile,
} from './claim.ts';
import { databaseNow, openDatabase, type Database } from './db.ts';
import { describe, downloadContent, sweepStalePartials } from './download.ts';
import {
  copiedToday,
  decide,
  DEFAULT_DAILY_BYTES_PER_USER,
  dailyLimitReason,
  tooLargeReason,
  type CapDecision,
} from './daily-cap.ts';
import { checkNasRoot, moveIntoPlace, OutsideRootError, resolveInside } from './fs.ts';
import { startListener, type Listener } from './listen.ts';
import { buildNasPath, mediaType } from './paths.ts';
import { quietReporter, type FileEvent, type FileOutcome, type Reporter } from './progress.ts';
import { processRemovals } from './remove.ts';
import type { SyncedImage } from './thumbnail.ts';
import { claimHeartbeat, ClaimLostError } from './heartbeat.ts';
import { wakeableSleep } from './wake.ts';

export interface SyncOptions {
  /** Either a URL (the job opens and closes its own pool) or an open database (left open). */
  databaseUrl?: string;
  database?: Database;
  channelAccessToken: string;
  /** e.g. https://api-data.line.me (no trailing slash). */
  dataApiBaseUrl: string;
  nasRoot: string;
  /** IANA time zone of the day folders (NAS_TIMEZONE); default Asia/Taipei. */
  timeZone?: string;
  /** Parallel downloads; default 4. */
  concurrency?: number;
  /** Process what is due now, then return. */
  once?: boolean;
  /** Pause between polls when idle; default 5 s. */
  pollIntervalMs?: number;
  /**
   * Continuous mode: also wake at once on `NOTIFY line_files_pending` (sent when rows are inserted),
   * over one dedicated connection to `databaseUrl` (none without a URL); polling stays the fallback.
   * Default true.
   */
  listen?: boolean;
  /** Failures before a row is marked failed; default 8. */
  maxAttempts?: number;
  /** Bytes copied per LINE sender per Asia/Taipei day (NAS_SYNC_DAILY_BYTES_PER_USER); default 1 GiB. */
  dailyBytesPerSender?: number;
  /** A claim not renewed for this long belongs to a dead job and is taken over; default 5 min. */
  leaseMs?: number;
  /** How often a running download renews its claim; default lease / 5. */
  heartbeatMs?: number;
  /** Wait after a 202 before asking again; default 15 s. */
  preparingDelayMs?: number;
  /** Backoff after the first failure, doubling per failure up to `retryMaxMs`; default 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Stops the job: no new claims; running downloads are aborted and their claims given back. */
  signal?: AbortSignal;
  reporter?: Reporter;
  /** After an image is synced (thumbnail.ts); a failure is logged, never fails the sync. */
  onImageSynced?: (image: SyncedImage) => Promise<void>;
  /**
   * Test seams. `beforeRename` runs after a complete download, before the temp file is renamed;
   * `beforeRemovals` before each removal pass of the loop.
   */
  hooks?: {
    beforeRename?: (ctx: {
      file: ClaimedFile;
      tempPath: string;
      finalPath: string;
      nasPath: string;
    }) => void | Promise<void>;
    beforeRemovals?: () => Promise<void>;
  };
}

export type SyncSummary = Record<FileOutcome, number> & { removed: number; bytes: number; errors: number };

/** The longest rate-limit pause `once` waits out before leaving the rest to the next run. */
const ONCE_MAX_PAUSE_MS = 30_000;

export async function runSync(options: SyncOptions): Promise<SyncSummary> {
  const concurrency = options.concurrency ?? 4;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const dailyCap = options.dailyBytesPerSender ?? DEFAULT_DAILY_BYTES_PER_USER;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 5));
  const preparingDelayMs = options.preparingDelayMs ?? 15_000;
  const retryBaseMs = options.retryBaseMs ?? 30_000;
  const retryMaxMs = options.retryMaxMs ?? 60 * 60_000;
  const reporter = options.reporter ?? quietReporter();
  const stop = options.signal ?? new AbortController().signal;
  const nasRoot = options.nasRoot;

  if (!options.database && !options.databaseUrl) throw new Error('runSync needs databaseUrl or database');
  const database =
    options.database ??
    openDatabase(options.databaseUrl!, {
      max: concurrency + 3,
      onError: (e) => reporter.log('warn', 'nas_sync.db_connection_error', { error: describe(e) }),
    });
  const db = database.db;

  const summary: SyncSummary = {
    synced: 0,
    preparing: 0,
    unavailable: 0,
    retry: 0,
    failed: 0,
    daily_limit: 0,
    discarded: 0,
    claim_lost: 0,
    released: 0,
    removed: 0,
    bytes: 0,
    errors: 0,
  };
  const fileDone = (e: FileEvent) => {
    summary[e.outcome]++;
    if (e.outcome === 'synced') summary.bytes += e.bytes ?? 0;
    reporter.file(e);
  };

  /** Global pause after a 429: LINE's rate limit is per channel, so every slot should wait. */
  let pausedUntil = 0;
  const backoff = (failures: number, retryAfterMs?: number): number => {
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, failures - 1));
    const jittered = Math.round(exp * (0.8 + Math.random() * 0.4));
    return Math.max(jittered, Math.min(retryAfterMs ?? 0, retryMaxMs));
  };

  async function processFile(file: ClaimedFile): Promise<void> {
    const started = Date.now();
    const base = { messageId: file.messageId, fileType: file.fileType };
    const ms = () => Date.now() - started;
    // Renew the claim while the download runs; ended before any outcome is written (an
    // outcome's WHERE names the current token).
    const heartbeat = claimHeartbeat({
      stop,
      intervalMs: heartbeatMs,
      renew: () => renewClaim(db, file),
      onError: (e) =>
        reporter.log('warn', 'nas_sync.heartbeat_failed', { messageId: file.messageId, error: describe(e) }),
    });
    const stopHeartbeat = heartbeat.end;

    /** `final`: retrying cannot help (a folder resolving outside NAS_ROOT): failed at once. */
    const fail = async (error: string, retryAfterMs?: number, status?: number, final = false) => {
      const delay = backoff(file.attempts + 1, retryAfterMs);
      const r = await markFailure(db, file, error, delay, final ? 0 : maxAttempts);
      if (!r) return fileDone({ ...base, outcome: 'claim_lost', error, ms: ms() });
      fileDone({
        ...base,
        outcome: r.status === 'failed' ? 'failed' : 'retry',
        error,
        status,
        attempts: r.attempts,
        retryInMs: r.status === 'failed' ? undefined : delay,
        ms: ms(),
      });
    };

    /** Over its sender's daily cap (already recorded on the row, or by `record`). */
    const overCap = async (decision: Exclude<CapDecision, 'ok'>, size: number, record: boolean) => {
      if (record && !(await recordOverCap(db, file, decision, size, dailyCap)))
        return fileDone({ ...base, outcome: 'claim_lost', ms: ms() });
      if (decision === 'too_large')
        return fileDone({ ...base, outcome: 'failed', bytes: size, error: tooLargeReason(size, dailyCap), ms: ms() });
      fileDone({ ...base, outcome: 'daily_limit', bytes: size, error: dailyLimitReason(dailyCap), ms: ms() });
    };

    let tempPath: string | undefined;
    try {
      reporter.started(file.messageId);
      if (file.takenOver && file.attempts >= maxAttempts) {
        await stopHeartbeat();
        return await fail(
          `gave up: ${file.attempts} attempts, the last ones abandoned by jobs that died (crash or kill while downloading?)`,
        );
      }
      const out = await downloadContent({
        dataApiBaseUrl: options.dataApiBaseUrl,
        channelAccessToken: options.channelAccessToken,
        messageId: file.messageId,
        nasRoot,
        signal: heartbeat.signal,
        onBytes: (n) => reporter.bytes(n),
        // Not worth downloading what cannot be kept today; the final check is in finalizeSynced.
        admit: async (size) => decide(size, await copiedToday(db, file.senderId), dailyCap),
      });
      if (out.kind === 'downloaded') tempPath = out.tempPath; // deleted in `finally` unless renamed
      await stopHeartbeat();
      if (heartbeat.signal.aborted) throw heartbeat.signal.reason;

      switch (out.kind) {
        case 'preparing':
          if (!(await markPreparing(db, file, preparingDelayMs)))
            return fileDone({ ...base, outcome: 'claim_lost', ms: ms() });
          return fileDone({ ...base, outcome: 'preparing', status: 202, retryInMs: preparingDelayMs, ms: ms() });
        case 'unavailable':
          if (!(await markUnavailable(db, file, out.reason)))
            return fileDone({ ...base, outcome: 'claim_lost', ms: ms() });
          return fileDone({ ...base, outcome: 'unavailable', status: out.status, error: out.reason, ms: ms() });
        case 'refused':
          return await overCap(out.decision, out.size, true);
        case 'failed':
          if (out.rateLimited) pausedUntil = Math.max(pausedUntil, Date.now() + (out.retryAfterMs ?? 5_000));
          return await fail(out.error, out.retryAfterMs, out.status);
        case 'downloaded': {
          const nasPath = buildNasPath({
            messageId: file.messageId,
            fileType: file.fileType,
            fileName: file.fileName,
            sentAt: file.sentAt,
            lineGroupId: file.lineGroupId,
            lineUserId: file.lineUserId,
            contentType: out.contentType,
            timeZone: options.timeZone,
          });
          const finalPath = resolveInside(nasRoot, nasPath);
          const mimeType = mediaType(out.contentType);
          await options.hooks?.beforeRename?.({ file, tempPath: out.tempPath, finalPath, nasPath });
          const result = await finalizeSynced(
            db,
            file,
            { nasPath, fileSize: out.size, mimeType, sha256: out.sha256 },
            () => moveIntoPlace(nasRoot, out.tempPath, finalPath),
            dailyCap,
          );
          if (result === 'synced') {
            fileDone({ ...base, outcome: 'synced', nasPath, bytes: out.size, sha256: out.sha256, mimeType, ms: ms() });
            if (file.fileType === 'image' && options.onImageSynced) {
              await options.onImageSynced({ fileId: file.id, path: finalPath, signal: stop }).catch((e: unknown) => {
                reporter.log('warn', 'nas_sync.thumbnail_failed', { messageId: file.messageId, error: describe(e) });
              });
            }
            return;
          }
          if (result === 'daily_limit' || result === 'too_large') return await overCap(result, out.size, false);
          return fileDone({
            ...base,
            outcome: result === 'remove_requested' ? 'discarded' : 'claim_lost',
            bytes: out.size,
            error: result === 'remove_requested' ? 'unsent while downloading' : 'claim taken over by another job',
            ms: ms(),
          });
        }
      }
    } catch (e) {
      await stopHeartbeat();
      if (heartbeat.signal.reason instanceof ClaimLostError) {
        return fileDone({ ...base, outcome: 'claim_lost', error: 'claim taken over by another job', ms: ms() });
      }
      if (stop.aborted) {
        await releaseClaim(db, file).catch(() => {});
        return fileDone({ ...base, outcome: 'released', ms: ms() });
      }
      // Local trouble (NAS write, rename, database): counted as a failure and retried; a folder
      // resolving outside NAS_ROOT fails the file at once (only the operator can fix it).
      await fail(describe(e), undefined, undefined, e instanceof OutsideRootError).catch((e2: unknown) => {
        summary.errors++;
        reporter.log('error', 'nas_sync.record_failed', {
          messageId: file.messageId,
          error: describe(e),
          recordError: describe(e2),
        });
      });
    } finally {
      await heartbeat.dispose();
      // Renamed into place, or to be discarded: never leave a half file behind.
      if (tempPath) await unlink(tempPath).catch(() => {});
    }
  }

  // ------------------------------------------------------------------------------------------
  // The loop

  const inflight = new Set<Promise<void>>();
  // A finished download wakes the loop early to refill its slot (even if it finished before the
  // loop went to sleep: the flag is checked first).
  const { sleep, wake } = wakeableSleep(stop);

  let listener: Listener | undefined;

  let lastRemovals = 0;
  const runRemovals = async () => {
    lastRemovals = Date.now();
    await options.hooks?.beforeRemovals?.();
    for (;;) {
      const results = await processRemovals(db, nasRoot);
      for (const r of results) {
        if (!r.error) summary.removed++;
        reporter.removal(r);
      }
      if (results.length < 100 || results.every((r) => r.error)) return;
    }
  };

  try {
    await checkNasRoot(nasRoot);
    const swept = await sweepStalePartials(nasRoot, Math.max(leaseMs, 60_000));
    if (swept > 0) reporter.log('info', 'nas_sync.swept_partials', { files: swept });
    // --once handles what is due now by the database's clock: rows it reschedules wait for the next run.
    const dueBefore = options.once ? await databaseNow(db) : undefined;
    const listening = !options.once && options.listen !== false && Boolean(options.databaseUrl) && !stop.aborted;
    reporter.log('info', 'nas_sync.started', { once: Boolean(options.once), concurrency, nasRoot, listen: listening });
    if (listening) {
      listener = startListener({
        url: options.databaseUrl!,
        onWake: () => wake(),
        log: (level, event, fields) => reporter.log(level, event, fields),
      });
    }

    while (!stop.aborted) {
      let claimed: ClaimedFile[] = [];
      /** Whether this turn asked the queue (with free slots): only an empty answer means nothing is due. */
      let asked = false;
      const free = concurrency - inflight.size;
      try {
        if (Date.now() - lastRemovals >= pollIntervalMs) await runRemovals();
        if (free > 0 && Date.now() >= pausedUntil) {
          await checkNasRoot(nasRoot);
          claimed = await claimFiles(db, { limit: free, leaseMs, dueBefore });
          asked = true;
        }
      } catch (e) {
        summary.errors++;
        reporter.log('error', 'nas_sync.poll_failed', { error: describe(e) });
        if (options.once) throw e;
      }
      for (const file of claimed) {
        const p: Promise<void> = processFile(file).finally(() => {
          inflight.delete(p);
          wake();
        });
        inflight.add(p);
      }
      const paused = Date.now() < pausedUntil;
      if (options.once && claimed.length === 0 && inflight.size === 0) {
        // With every slot busy this turn did not ask; the downloads may have finished meanwhile
        // (during the removal pass): ask now rather than take the silence for an empty queue.
        if (!paused && !asked) continue;
        if (!paused) break;
        // Rate limited: --once waits out a short pause; after a long one the next run carries on.
        if (pausedUntil - Date.now() > ONCE_MAX_PAUSE_MS) {
          reporter.log('warn', 'nas_sync.rate_limited', {
            resumeInMs: pausedUntil - Date.now(),
            note: 'left for the next run',
          });
          break;
        }
      }
      if (free > 0 && claimed.length === free) continue; // more may be waiting
      await sleep(paused ? Math.min(pollIntervalMs, pausedUntil - Date.now()) : pollIntervalMs);
    }
    await Promise.allSettled([...inflight]);
    if (!stop.aborted) await runRemovals();
  } finally {
    await listener?.close();
    await Promise.allSettled([...inflight]);
    reporter.log('info', 'nas_sync.stopped', { ...summary });
    if (!options.database) await database.end();
  }
  return summary;
}
