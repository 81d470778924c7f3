/**
 * Walks the company shares into `nas_files`. Each walk lists every file of a share (lstat, no
 * content read) and compares it with the rows the share has: new -> insert, size / mtime changed
 * -> update, gone -> delete, unchanged -> nothing written. Folders or files it could not read keep
 * their rows (a permissions hiccup must not empty the index), and so does a share whose folder is
 * empty while its index is not (an unmounted NAS looks like that).
 *
 * Directory mtimes are not used to skip folders: a file rewritten in place changes its own mtime
 * but not its folder's, so only stat'ing every file finds every change.
 */
import { describe } from '../download.ts';
import { openDatabase, type Database } from '../db.ts';
import { quietReporter, type Reporter } from '../progress.ts';
import type { Share } from './shares.ts';
import { deleteFiles, loadShareIndex, rowFor, shareCounts, upsertFiles, withShareLock, type FileRow } from './store.ts';
import { walkShare, type DirState } from './walk.ts';
import { previewRound } from './previews.ts';
import type { WorkerClient } from '../send/upload.ts';

export interface WalkSummary {
  share: string;
  /** walked: done; busy: another job was walking it; failed: nothing deleted (see error); stopped: shutdown. */
  outcome: 'walked' | 'busy' | 'failed' | 'stopped';
  /** full: every folder listed, every file stat'ed; rescan: only folders whose mtime changed. */
  mode: 'full' | 'rescan';
  /** Folders a rescan did not list (unchanged since the last walk). */
  unchangedDirs: number;
  files: number;
  dirs: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Rows kept although their file was not seen, because its folder or the file was unreadable. */
  kept: number;
  unreadable: number;
  symlinks: number;
  skipped: number;
  ms: number;
  error?: string;
}

export interface IndexShareOptions {
  database: Database;
  share: Share;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Rows per INSERT / DELETE statement; default 1000. */
  batchSize?: number;
  /** How often a long walk logs its progress; default 10 s. */
  progressIntervalMs?: number;
  /** Unreadable paths logged one by one per walk (the rest are counted); default 50. */
  maxLoggedProblems?: number;
  /** Filled with the folders seen, for a later rescan. */
  dirs?: Map<string, DirState>;
  /** Rescan: folders unchanged since this record (of a walk of this share) are not listed. */
  previousDirs?: Map<string, DirState>;
}

/** One walk of one share (under the share's advisory lock). */
export async function indexShare(options: IndexShareOptions): Promise<WalkSummary> {
  const { database, share } = options;
  const db = database.db;
  const reporter = options.reporter ?? quietReporter();
  const batchSize = options.batchSize ?? 1000;
  const maxLogged = options.maxLoggedProblems ?? 50;
  const started = Date.now();
  const summary: WalkSummary = {
    share: share.name,
    outcome: 'walked',
    mode: options.previousDirs ? 'rescan' : 'full',
    unchangedDirs: 0,
    files: 0,
    dirs: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    kept: 0,
    unreadable: 0,
    symlinks: 0,
    skipped: 0,
    ms: 0,
  };

  const result = await withShareLock(database.pool, share.name, async () => {
    reporter.log('info', 'nas_index.walk_started', { share: share.name, root: share.root });
    const stored = await loadShareIndex(db, share.name);
    const indexedBefore = stored.size;
    // A rescan takes an unchanged folder's files from the index: its rows by folder.
    const byDir = new Map<string, string[]>();
    if (options.previousDirs) {
      for (const path of stored.keys()) {
        const slash = path.lastIndexOf('/');
        const dir = slash < 0 ? '' : path.slice(0, slash);
        let list = byDir.get(dir);
        if (!list) {
          list = [];
          byDir.set(dir, list);
        }
        list.push(path);
      }
    }
    const unreadableDirs: string[] = [];
    const unreadableFiles = new Set<string>();
    let logged = 0;
    const problem = (kind: 'dir' | 'file', path: string, error: string) => {
      summary.unreadable++;
      if (logged++ < maxLogged) reporter.log('warn', 'nas_index.unreadable', { share: share.name, kind, path, error });
    };

    // Writes go out in batches, one at a time, while the walk goes on; a full batch waits for the
    // previous one (backpressure), the rest is flushed at the end.
    let pending: FileRow[] = [];
    let writing: Promise<void> = Promise.resolve();
    const flush = () => {
      const rows = pending;
      pending = [];
      writing = writing.then(async () => {
        const r = await upsertFiles(db, share.name, rows);
        summary.inserted += r.inserted;
        summary.updated += r.updated;
      });
      return writing;
    };

    const progress = setInterval(() => {
      const seconds = (Date.now() - started) / 1000;
      reporter.log('info', 'nas_index.progress', {
        share: share.name,
        files: summary.files,
        dirs: summary.dirs,
        written: summary.inserted + summary.updated,
        filesPerSecond: Math.round(summary.files / Math.max(seconds, 0.001)),
      });
    }, options.progressIntervalMs ?? 10_000);
    progress.unref();

    try {
      const counts = await walkShare({
        root: share.root,
        signal: options.signal,
        dirs: options.dirs,
        previousDirs: options.previousDirs,
        onUnchangedDir(dir) {
          summary.unchangedDirs++;
          for (const path of byDir.get(dir) ?? []) {
            summary.files++;
            stored.delete(path);
          }
        },
        onFile(file) {
          summary.files++;
          const old = stored.get(file.path);
          stored.delete(file.path); // what is left at the end was not seen
          const row = rowFor(share.name, file, old);
          if (row) pending.push(row);
        },
        onUnreadableDir(path, error) {
          unreadableDirs.push(`${path}/`);
          problem('dir', path, error);
        },
        onUnreadableFile(path, error) {
          unreadableFiles.add(path);
          problem('file', path, error);
        },
        async afterDir() {
          summary.dirs++;
          if (pending.length >= batchSize) await flush();
        },
      });
      await flush();
      Object.assign(summary, { symlinks: counts.symlinks, skipped: counts.skipped, dirs: counts.dirs });
      if (logged > maxLogged)
        reporter.log('warn', 'nas_index.unreadable_more', { share: share.name, count: logged - maxLogged });

      if (counts.rootEntries === 0 && indexedBefore > 0) {
        summary.kept = stored.size;
        reporter.log('warn', 'nas_index.share_empty', {
          share: share.name,
          root: share.root,
          indexed: indexedBefore,
          note: 'the share folder is empty (is the NAS mounted?): nothing deleted',
        });
      } else {
        const gone: string[] = [];
        for (const [path, row] of stored) {
          if (unreadableFiles.has(path) || unreadableDirs.some((d) => path.startsWith(d))) summary.kept++;
          else gone.push(row.id);
        }
        for (let i = 0; i < gone.length; i += batchSize)
          summary.deleted += await deleteFiles(db, gone.slice(i, i + batchSize));
      }
    } catch (e) {
      await writing.catch(() => {});
      throw e;
    } finally {
      clearInterval(progress);
    }
    return summary;
  }).catch((e: unknown): WalkSummary => {
    const stopped = options.signal?.aborted ?? false;
    return { ...summary, outcome: stopped ? 'stopped' : 'failed', error: stopped ? undefined : describe(e) };
  });

  if (result === 'busy') {
    summary.outcome = 'busy';
    summary.ms = Date.now() - started;
    reporter.log('info', 'nas_index.busy', { share: share.name, note: 'another job is walking this share' });
    return summary;
  }
  result.ms = Date.now() - started;
  reporter.log(result.outcome === 'failed' ? 'error' : 'info', 'nas_index.walked', { ...result });
  return result;
}

/**
 * Rows of shares no longer in NAS_SHARES stay searchable until someone deletes them: say so at
 * start (not deleted automatically: a typo in NAS_SHARES must not empty a share's index).
 */
async function warnUnconfigured(database: Database, shares: readonly Share[], reporter: Reporter): Promise<void> {
  try {
    for (const c of await shareCounts(database.db)) {
      if (!shares.some((s) => s.name === c.share)) {
        reporter.log('warn', 'nas_index.unconfigured_share', {
          share: c.share,
          files: c.files,
          note: `not in NAS_SHARES; its rows stay searchable (DELETE FROM nas_files WHERE share = '${c.share}' to drop them)`,
        });
      }
    }
  } catch (e) {
    reporter.log('warn', 'nas_index.status_failed', { error: describe(e) });
  }
}

export interface IndexerOptions {
  /** Either a URL (the indexer opens and closes its own small pool) or an open database (left open). */
  databaseUrl?: string;
  database?: Database;
  shares: readonly Share[];
  /** One walk of each share, then return. */
  once?: boolean;
  /** Pause between the end of one round of walks and the next; default 6 h. */
  intervalMs?: number;
  /**
   * Between full walks, rescan this often: only folders whose mtime changed are listed (new,
   * deleted and renamed files; not files rewritten in place). 0 or absent: full walks only.
   */
  rescanMs?: number;
  /** Pause after a round in which a walk failed (database or NAS away); default 5 min (at most intervalMs). */
  retryMs?: number;
  signal?: AbortSignal;
  reporter?: Reporter;
  batchSize?: number;
  progressIntervalMs?: number;
  /** After each round of walks, up to `limit` /find previews made and uploaded (./previews.ts); absent: none. */
  previews?: { client: WorkerClient; limit: number };
}

/**
 * Walks every share (one after another), then again every `intervalMs` (with rescans every
 * `rescanMs` in between), until stopped, or once.
 */
export async function runIndexer(options: IndexerOptions): Promise<{ walks: WalkSummary[]; errors: number }> {
  const reporter = options.reporter ?? quietReporter();
  const stop = options.signal ?? new AbortController().signal;
  const intervalMs = options.intervalMs ?? 6 * 3600_000;
  const retryMs = Math.min(intervalMs, options.retryMs ?? 5 * 60_000);
  const rescanMs = options.once ? 0 : (options.rescanMs ?? 0);
  if (!options.database && !options.databaseUrl) throw new Error('runIndexer needs databaseUrl or database');
  const database =
    options.database ??
    openDatabase(options.databaseUrl!, {
      max: 2,
      onError: (e) => reporter.log('warn', 'nas_index.db_connection_error', { error: describe(e) }),
    });
  const walks: WalkSummary[] = [];
  let errors = 0;
  try {
    await warnUnconfigured(database, options.shares, reporter);
    // Per share: when its last full walk finished, and the folders the last good walk saw.
    const state = new Map<string, { lastFullAt: number; dirs: Map<string, DirState> }>();
    // Versions of files no preview could be made of (or the Worker refused): not tried again.
    const previewsGiven = new Set<string>();
    while (!stop.aborted) {
      let failed = false;
      for (const share of options.shares) {
        if (stop.aborted) break;
        const last = state.get(share.name);
        const full = !rescanMs || !last || Date.now() - last.lastFullAt >= intervalMs;
        const dirs = new Map<string, DirState>();
        const s = await indexShare({
          database,
          share,
          reporter,
          signal: stop,
          batchSize: options.batchSize,
          progressIntervalMs: options.progressIntervalMs,
          dirs: rescanMs ? dirs : undefined,
          previousDirs: full ? undefined : last.dirs,
        });
        walks.push(s);
        if (s.outcome === 'walked' && rescanMs)
          state.set(share.name, { lastFullAt: full ? Date.now() : last!.lastFullAt, dirs });
        if (s.outcome === 'failed') {
          errors++;
          failed = true;
        }
      }
      if (options.previews && options.previews.limit > 0 && !stop.aborted) {
        await previewRound({
          database,
          shares: options.shares,
          client: options.previews.client,
          limit: options.previews.limit,
          given: previewsGiven,
          signal: stop,
          reporter,
        });
      }
      if (options.once || stop.aborted) break;
      const pause = Math.min(rescanMs || intervalMs, intervalMs, failed ? retryMs : Infinity);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pause);
        stop.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    if (!options.database) await database.end();
  }
  return { walks, errors };
}
