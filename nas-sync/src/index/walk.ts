/**
 * Lists the regular files of a share: readdir with entry types, then lstat of each file (size and
 * mtime). Symlinks are never followed, to a file or a folder, inside the share or not: they are
 * counted and left out, so no path in the index goes through one. Unreadable folders are reported
 * and skipped; the share's own folder being unreadable fails the walk.
 *
 * A rescan (`previousDirs`) lists only folders whose mtime or ctime changed since the walk that
 * recorded them: adding, deleting or renaming an entry changes its folder's; an unchanged folder's
 * files are taken as they were (`onUnchangedDir`). A file rewritten in place changes only its own
 * mtime, so rescans miss that until the next full walk.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { isIgnoredName } from './ignore.ts';

export interface WalkedFile {
  /** Relative to the share, `/`-separated, as the filesystem spells it (NFD from a Mac stays NFD). */
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

export interface WalkCounts {
  dirs: number;
  files: number;
  /** Entries of the share's own folder before skipping (0: empty, maybe not mounted). */
  rootEntries: number;
  symlinks: number;
  /** Hidden and system names (and everything under a skipped folder, uncounted). */
  skipped: number;
  /** Sockets, FIFOs, devices; and names that are not valid UTF-8 (they could not be sent back). */
  other: number;
}

/** What a walk saw of a folder, for the next rescan. */
export interface DirState {
  mtimeMs: number;
  ctimeMs: number;
  subdirs: string[];
  entries: number;
}

export interface WalkOptions {
  root: string;
  /** Filled with every folder listed (or taken as unchanged) this walk. */
  dirs?: Map<string, DirState>;
  /** A rescan: folders unchanged since this record are not listed. */
  previousDirs?: Map<string, DirState>;
  /** A folder of `previousDirs` found unchanged: its files are as they were. */
  onUnchangedDir?(path: string): void;
  onFile(file: WalkedFile): void;
  /** A folder that could not be listed (its subtree is unknown this walk). */
  onUnreadableDir(path: string, error: string): void;
  /** A file that was listed but could not be stat'ed (its row, if any, is unknown this walk). */
  onUnreadableFile(path: string, error: string): void;
  /** Awaited after each folder: the caller's chance to flush a batch (and apply backpressure). */
  afterDir?(): Promise<void>;
  signal?: AbortSignal;
  /** Folders listed at once; default 4. */
  concurrency?: number;
}

class WalkError extends Error {
  override readonly name = 'WalkError';
}

const errorCode = (e: unknown): string =>
  (e as NodeJS.ErrnoException | null)?.code ?? String((e as Error)?.message ?? e);
/** What a file or folder that vanished mid-walk looks like: gone, not unreadable. */
const GONE = new Set(['ENOENT', 'ENOTDIR']);
const STAT_PARALLEL = 32;

export async function walkShare(options: WalkOptions): Promise<WalkCounts> {
  const { root } = options;
  const base = root.endsWith('/') ? root : `${root}/`;
  const counts: WalkCounts = { dirs: 0, files: 0, rootEntries: 0, symlinks: 0, skipped: 0, other: 0 };
  const concurrency = options.concurrency ?? 4;

  const statFile = async (rel: string, name: string, queue: string[], subdirs: string[]) => {
    let st;
    try {
      st = await lstat(base + rel);
    } catch (e) {
      const c = errorCode(e);
      if (!GONE.has(c)) options.onUnreadableFile(rel, c);
      return;
    }
    if (st.isFile()) {
      counts.files++;
      options.onFile({ path: rel, name, size: st.size, mtimeMs: st.mtimeMs });
    } else if (st.isDirectory()) {
      // replaced by a folder since readdir
      queue.push(rel);
      subdirs.push(rel);
    } else if (st.isSymbolicLink()) counts.symlinks++;
    else counts.other++;
  };

  const failed = (dir: string, e: unknown) => {
    const c = errorCode(e);
    if (dir === '') throw new WalkError(`cannot list the share's folder ${root}: ${c}`);
    if (!GONE.has(c)) options.onUnreadableDir(dir, c);
  };

  const visit = async (dir: string, queue: string[]) => {
    const path = dir === '' ? root : base + dir;
    let own: { mtimeMs: number; ctimeMs: number } | undefined;
    if (options.dirs || options.previousDirs) {
      // Before the listing: a change made while listing shows up as a newer time next rescan.
      try {
        own = await (dir === '' ? stat(path) : lstat(path)); // the share's own folder may be a symlink
      } catch (e) {
        return failed(dir, e);
      }
      const prev = options.previousDirs?.get(dir);
      if (prev && prev.mtimeMs === own.mtimeMs && prev.ctimeMs === own.ctimeMs) {
        counts.dirs++;
        if (dir === '') counts.rootEntries = prev.entries;
        options.dirs?.set(dir, prev);
        options.onUnchangedDir?.(dir);
        queue.push(...prev.subdirs);
        await options.afterDir?.();
        return;
      }
    }
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (e) {
      return failed(dir, e);
    }
    counts.dirs++;
    if (dir === '') counts.rootEntries = entries.length;
    const files: { rel: string; name: string }[] = [];
    const subdirs: string[] = [];
    for (const ent of entries) {
      const name = ent.name;
      if (isIgnoredName(name)) {
        counts.skipped++;
        continue;
      }
      // Node decodes names as UTF-8; invalid bytes become U+FFFD and the path no longer names the file.
      if (name.includes('\uFFFD')) {
        counts.other++;
        continue;
      }
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (ent.isSymbolicLink()) counts.symlinks++;
      else if (ent.isDirectory()) {
        queue.push(rel);
        subdirs.push(rel);
      } else if (ent.isFile()) files.push({ rel, name });
      else counts.other++;
    }
    for (let i = 0; i < files.length; i += STAT_PARALLEL) {
      await Promise.all(files.slice(i, i + STAT_PARALLEL).map((f) => statFile(f.rel, f.name, queue, subdirs)));
    }
    if (own) options.dirs?.set(dir, { mtimeMs: own.mtimeMs, ctimeMs: own.ctimeMs, subdirs, entries: entries.length });
    await options.afterDir?.();
  };

  const queue: string[] = [''];
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const pump = () => {
      if (failed) return;
      if (options.signal?.aborted) {
        failed = true;
        return reject(options.signal.reason ?? new Error('aborted'));
      }
      while (active < concurrency && queue.length > 0) {
        const dir = queue.pop()!; // depth first: the queue stays short
        active++;
        visit(dir, queue).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
    };
    pump();
  });
  return counts;
}
