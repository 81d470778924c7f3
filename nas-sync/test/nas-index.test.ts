/**
 * The company-share indexer against the real local Postgres and real temp folders: the first walk,
 * incremental walks that write only what changed, deletions, symlinks (never followed),
 * unreadable folders (their rows survive), CJK names in NFC and NFD, the per-share lock,
 * resolveInShare, and the CLI (`--once` indexes, `--status` shows the shares).
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import {
  appendFile,
  chmod,
  mkdir,
  mkdtemp,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db.ts';
import { indexShare, modifiedAtOf, resolveInShare, runIndexer, type Share } from '../src/index/index.ts';
import { jsonReporter } from '../src/progress.ts';
import { nasFiles } from '@linebot-edge/shared/schema';
import { searchTextOf } from '@linebot-edge/shared/search-text';
import { jsonLines, runNode, setupNasSync, TOKEN, type NasSyncFixture } from './nas-sync-support.ts';

let fx: NasSyncFixture;
let database: Database;
let outside: string;
let seq = 0;

beforeAll(async () => {
  fx = await setupNasSync('index');
  database = openDatabase(fx.databaseUrl, { max: 3 });
  outside = await mkdtemp(join(tmpdir(), 'nas-outside-'));
  await writeFile(join(outside, 'secret.txt'), 'not in any share');
  await mkdir(join(outside, 'dir'));
  await writeFile(join(outside, 'dir', 'inner.txt'), 'nor this');
});
afterAll(async () => {
  await database?.end();
  await rm(outside, { recursive: true, force: true });
  await fx?.close();
});

/** A fresh share folder (inside the fixture's temp root, so it is cleaned up) with these files. */
async function makeShare(files: Record<string, string | Buffer> = {}): Promise<Share> {
  const name = `s${++seq}`;
  const root = join(fx.nasRoot, name);
  await mkdir(root, { recursive: true });
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), body);
  }
  return { name, root };
}

const rowsOf = (share: string) =>
  fx.db.select().from(nasFiles).where(sql`${nasFiles.share} = ${share}`).orderBy(nasFiles.path);
const pathsOf = async (share: string) => (await rowsOf(share)).map((r) => r.path);
const walk = (share: Share, extra: Partial<Parameters<typeof indexShare>[0]> = {}) =>
  indexShare({ database, share, ...extra });

/** A reporter that collects the JSON log lines the job would print. */
function collectingReporter() {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { reporter: jsonReporter(out), lines: () => jsonLines(text) };
}

describe('first walk', () => {
  it('indexes every regular file with its share-relative path, name, extension, size, mtime and search text', async () => {
    const share = await makeShare({
      README: 'hello',
      '案場A/圖面/平面圖.PDF': '%PDF-1.7 plan',
      '案場A/報價/Quote v2.final.xlsx': 'xlsx',
      'deep/a/b/c/d/e.tar.gz': 'gz',
      '.DS_Store': 'x',
      '.snapshot/old.txt': 'x',
      '@eaDir/thumb.jpg': 'x',
      '#recycle/deleted.doc': 'x',
      '案場A/Thumbs.db': 'x',
      '案場A/報價/~$Quote v2.final.xlsx': 'lock',
      '案場A/desktop.ini': 'x',
      'sub/.hidden/inside.txt': 'x',
    });
    const when = new Date('2024-05-06T07:08:09.123Z');
    await utimes(join(share.root, '案場A/圖面/平面圖.PDF'), when, when);

    const s = await walk(share);

    expect(s).toMatchObject({ outcome: 'walked', files: 4, inserted: 4, updated: 0, deleted: 0, unreadable: 0 });
    expect(s.skipped).toBe(8);
    const rows = await rowsOf(share.name);
    expect(rows.map((r) => r.path)).toEqual([
      'README',
      'deep/a/b/c/d/e.tar.gz',
      '案場A/圖面/平面圖.PDF',
      '案場A/報價/Quote v2.final.xlsx',
    ]);
    const plan = rows.find((r) => r.name === '平面圖.PDF')!;
    expect(plan).toMatchObject({
      share: share.name,
      extension: 'pdf',
      size: Buffer.byteLength('%PDF-1.7 plan'),
      searchText: `${share.name}/案場a/圖面/平面圖.pdf`,
    });
    expect(plan.modifiedAt.toISOString()).toBe(when.toISOString());
    expect(rows.find((r) => r.path === 'README')).toMatchObject({ name: 'README', extension: '' });
    expect(rows.find((r) => r.path === 'deep/a/b/c/d/e.tar.gz')).toMatchObject({ name: 'e.tar.gz', extension: 'gz' });
    expect(rows.find((r) => r.name === 'Quote v2.final.xlsx')).toMatchObject({ extension: 'xlsx' });
    for (const r of rows) expect(r.searchText).toBe(searchTextOf(share.name, r.path));
  });

  it('treats an empty share as unindexed and a missing share folder as a failed walk', async () => {
    const share = await makeShare();
    expect(await walk(share)).toMatchObject({ outcome: 'walked', files: 0, inserted: 0 });
    const gone = await walk({ name: 'nowhere', root: join(fx.nasRoot, 'does-not-exist') });
    expect(gone.outcome).toBe('failed');
    expect(gone.error).toContain('ENOENT');
  });
});

describe('incremental walks', () => {
  it('writes only what changed: a grown file, a touched file, a new one, a deleted one and a renamed one', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 5; d++) for (let f = 0; f < 20; f++) files[`d${d}/f${f}.txt`] = `file ${d}/${f}`;
    const share = await makeShare(files);
    expect(await walk(share)).toMatchObject({ inserted: 100, updated: 0, deleted: 0 });
    const before = new Map((await rowsOf(share.name)).map((r) => [r.path, r]));

    // Nothing changed: nothing written.
    expect(await walk(share)).toMatchObject({ files: 100, inserted: 0, updated: 0, deleted: 0 });
    await new Promise((r) => setTimeout(r, 20)); // indexed_at of new writes is visibly later

    await appendFile(join(share.root, 'd0/f0.txt'), ' and more'); // size (and mtime)
    const touched = new Date('2023-01-02T03:04:05.678Z');
    await utimes(join(share.root, 'd1/f1.txt'), touched, touched); // mtime only
    await writeFile(join(share.root, 'd2/new.txt'), 'new');
    await unlink(join(share.root, 'd3/f3.txt'));
    await rename(join(share.root, 'd4/f4.txt'), join(share.root, 'd4/renamed.txt'));

    const s = await walk(share);
    expect(s).toMatchObject({ files: 100, inserted: 2, updated: 2, deleted: 2, kept: 0 });
    const after = new Map((await rowsOf(share.name)).map((r) => [r.path, r]));
    expect(after.size).toBe(100);
    expect(after.has('d3/f3.txt')).toBe(false);
    expect(after.has('d4/f4.txt')).toBe(false);
    expect(after.get('d0/f0.txt')!.size).toBe(Buffer.byteLength('file 0/0 and more'));
    expect(after.get('d1/f1.txt')!.modifiedAt.toISOString()).toBe(touched.toISOString());
    const written = ['d0/f0.txt', 'd1/f1.txt', 'd2/new.txt', 'd4/renamed.txt'];
    for (const [path, row] of after) {
      if (written.includes(path)) {
        expect(row.indexedAt.getTime(), path).toBeGreaterThan(
          Math.max(...[...before.values()].map((r) => r.indexedAt.getTime())),
        );
      } else {
        // Untouched rows keep their id and indexed_at: they were not written.
        expect(row.id).toBe(before.get(path)!.id);
        expect(row.indexedAt.toISOString()).toBe(before.get(path)!.indexedAt.toISOString());
      }
    }
    // The updated rows are the same rows (same id), not re-inserted.
    expect(after.get('d0/f0.txt')!.id).toBe(before.get('d0/f0.txt')!.id);
    expect(await walk(share)).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('deletes the rows of a removed folder and of files that became hidden or symlinks', async () => {
    const share = await makeShare({
      'keep.txt': 'k',
      'old/a.txt': 'a',
      'old/b/c.txt': 'c',
      'visible.txt': 'v',
      'link-me.txt': 'l',
    });
    expect(await walk(share)).toMatchObject({ inserted: 5 });
    await rm(join(share.root, 'old'), { recursive: true });
    await rename(join(share.root, 'visible.txt'), join(share.root, '.visible.txt'));
    await unlink(join(share.root, 'link-me.txt'));
    await symlink(join(share.root, 'keep.txt'), join(share.root, 'link-me.txt'));
    expect(await walk(share)).toMatchObject({ deleted: 4, inserted: 0, updated: 0 });
    expect(await pathsOf(share.name)).toEqual(['keep.txt']);
  });

  it('batches writes (more rows than one batch) with the same result', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 250; i++) files[`b/${i}.txt`] = String(i);
    const share = await makeShare(files);
    expect(await walk(share, { batchSize: 7 })).toMatchObject({ inserted: 250 });
    for (let i = 0; i < 100; i++) await unlink(join(share.root, `b/${i}.txt`));
    expect(await walk(share, { batchSize: 7 })).toMatchObject({ deleted: 100 });
    expect((await pathsOf(share.name)).length).toBe(150);
  });
});

describe('rescans (folder mtimes)', () => {
  it('list only changed folders: new, deleted, renamed files and folders are found, unchanged folders cost no listing', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 4; d++) for (let f = 0; f < 5; f++) files[`d${d}/f${f}.txt`] = `${d}${f}`;
    files['d0/sub/deep.txt'] = 'deep';
    files['gone/x.txt'] = 'x';
    const share = await makeShare(files);
    const dirs = new Map();
    expect(await walk(share, { dirs })).toMatchObject({ mode: 'full', inserted: 22 });
    expect([...dirs.keys()].sort()).toEqual(['', 'd0', 'd0/sub', 'd1', 'd2', 'd3', 'gone']);

    const again = new Map();
    expect(await walk(share, { previousDirs: dirs, dirs: again })).toMatchObject({
      mode: 'rescan',
      files: 22,
      unchangedDirs: 7,
      inserted: 0,
      updated: 0,
      deleted: 0,
    });

    await writeFile(join(share.root, 'd1/new.txt'), 'new');
    await unlink(join(share.root, 'd2/f0.txt'));
    await rename(join(share.root, 'd3/f0.txt'), join(share.root, 'd3/renamed.txt'));
    await mkdir(join(share.root, 'd0/sub/newdir'));
    await writeFile(join(share.root, 'd0/sub/newdir/n.txt'), 'n');
    await rm(join(share.root, 'gone'), { recursive: true });
    const third = new Map();
    const s = await walk(share, { previousDirs: again, dirs: third });
    // Changed: d1, d2, d3, d0/sub (new folder), root (gone removed), and the new folder itself.
    expect(s).toMatchObject({ mode: 'rescan', inserted: 3, updated: 0, deleted: 3, unchangedDirs: 1 });
    const paths = await pathsOf(share.name);
    expect(paths).toContain('d1/new.txt');
    expect(paths).toContain('d3/renamed.txt');
    expect(paths).toContain('d0/sub/newdir/n.txt');
    expect(paths).not.toContain('d2/f0.txt');
    expect(paths).not.toContain('gone/x.txt');
    expect(paths).toHaveLength(22);
    // What a full walk finds now is exactly what the rescans left.
    expect(await walk(share)).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('catches a folder whose mtime was put back (rsync -t, robocopy) by its ctime', async () => {
    const share = await makeShare({ 'a/1.txt': '1' });
    const dirs = new Map();
    await walk(share, { dirs });
    const before = await stat(join(share.root, 'a'), { bigint: true });
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(share.root, 'a/2.txt'), '2');
    // Put the folder's mtime back to the nanosecond (utimes in Node rounds to microseconds).
    const ns = before.mtimeNs;
    await promisify(execFile)('touch', [
      '-m',
      '-d',
      `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`,
      join(share.root, 'a'),
    ]);
    expect((await stat(join(share.root, 'a'))).mtimeMs).toBe(dirs.get('a').mtimeMs);
    expect(await walk(share, { previousDirs: dirs })).toMatchObject({ mode: 'rescan', inserted: 1 });
  });

  it('misses a file rewritten in place (its folder does not change) until the next full walk', async () => {
    const share = await makeShare({ 'a/1.txt': '1' });
    const dirs = new Map();
    await walk(share, { dirs });
    await appendFile(join(share.root, 'a/1.txt'), ' more');
    expect(await walk(share, { previousDirs: dirs })).toMatchObject({ mode: 'rescan', updated: 0 });
    expect(await walk(share)).toMatchObject({ mode: 'full', updated: 1 });
  });
});

describe('symlinks', () => {
  it('never follows one: to a file or a folder outside the share, inside it, or a loop', async () => {
    const share = await makeShare({ 'real.txt': 'r', 'folder/x.txt': 'x' });
    await symlink(join(outside, 'secret.txt'), join(share.root, 'secret-link.txt'));
    await symlink(join(outside, 'dir'), join(share.root, 'outside-dir'));
    await symlink('..', join(share.root, 'folder', 'loop')); // folder/loop -> share root
    await symlink(join(share.root, 'folder'), join(share.root, 'folder-again'));
    await symlink(join(share.root, 'nothing'), join(share.root, 'dangling'));

    const s = await walk(share);
    expect(s).toMatchObject({ outcome: 'walked', files: 2, symlinks: 5 });
    expect(await pathsOf(share.name)).toEqual(['folder/x.txt', 'real.txt']);
  });
});

describe('unreadable folders', () => {
  /**
   * chmod 000 does not stop root, and the tests may run as root: then the walk itself runs with
   * the effective uid of `nobody` (seteuid; the real uid stays 0, so it can switch back).
   */
  async function asUnprivileged<T>(fn: () => Promise<T>): Promise<T> {
    if (process.getuid?.() !== 0) return fn();
    process.seteuid!(65534);
    try {
      return await fn();
    } finally {
      process.seteuid!(0);
    }
  }
  const canDropPrivileges = process.getuid?.() !== 0 || typeof process.seteuid === 'function';

  it.skipIf(!canDropPrivileges)('logs them, skips them, and keeps their rows; the rest is still updated', async () => {
    const share = await makeShare({
      'open/a.txt': 'a',
      'open/gone.txt': 'g',
      'locked/one.txt': '1',
      'locked/deeper/two.txt': '2',
      'nostat/three.txt': '3',
    });
    // `nobody` must reach the share when running as root (mkdtemp makes 0700 folders).
    await chmod(fx.nasRoot, 0o755);
    await chmod(share.root, 0o755);
    for (const d of ['open', 'locked', 'locked/deeper', 'nostat']) await chmod(join(share.root, d), 0o755);
    expect(await walk(share)).toMatchObject({ inserted: 5 });

    await unlink(join(share.root, 'open/gone.txt'));
    await unlink(join(share.root, 'locked/one.txt')); // gone, but nobody can see that this walk
    await chmod(join(share.root, 'locked'), 0o000);
    await chmod(join(share.root, 'nostat'), 0o644); // listable, but its files cannot be stat'ed
    const { reporter, lines } = collectingReporter();
    let s;
    try {
      s = await asUnprivileged(() => walk(share, { reporter }));
    } finally {
      await chmod(join(share.root, 'locked'), 0o755);
      await chmod(join(share.root, 'nostat'), 0o755);
    }
    expect(s).toMatchObject({ outcome: 'walked', deleted: 1, unreadable: 2, kept: 3 });
    expect(await pathsOf(share.name)).toEqual([
      'locked/deeper/two.txt',
      'locked/one.txt',
      'nostat/three.txt',
      'open/a.txt',
    ]);
    // Folders are read concurrently: the two warnings come in either order.
    const problems = lines()
      .filter((l) => l.event === 'nas_index.unreadable')
      .sort((a, b) => String(a.path).localeCompare(String(b.path)));
    expect(problems).toEqual([
      expect.objectContaining({ level: 'warn', share: share.name, kind: 'dir', path: 'locked', error: 'EACCES' }),
      expect.objectContaining({
        level: 'warn',
        share: share.name,
        kind: 'file',
        path: 'nostat/three.txt',
        error: 'EACCES',
      }),
    ]);

    // Readable again: the next walk catches up (one.txt really is gone).
    expect(await walk(share)).toMatchObject({ deleted: 1, unreadable: 0, kept: 0 });
    expect(await pathsOf(share.name)).toEqual(['locked/deeper/two.txt', 'nostat/three.txt', 'open/a.txt']);
  });

  it.skipIf(!canDropPrivileges)('an unreadable share folder fails the walk and deletes nothing', async () => {
    const share = await makeShare({ 'a.txt': 'a' });
    await chmod(fx.nasRoot, 0o755);
    expect(await walk(share)).toMatchObject({ inserted: 1 });
    await chmod(share.root, 0o000);
    let s;
    try {
      s = await asUnprivileged(() => walk(share));
    } finally {
      await chmod(share.root, 0o755);
    }
    expect(s).toMatchObject({ outcome: 'failed', deleted: 0 });
    expect(s.error).toContain('EACCES');
    expect(await pathsOf(share.name)).toEqual(['a.txt']);
  });

  it('an emptied share folder (an unmounted NAS looks like one) deletes nothing and says so', async () => {
    const share = await makeShare({ 'a.txt': 'a', 'b/c.txt': 'c' });
    expect(await walk(share)).toMatchObject({ inserted: 2 });
    await rm(join(share.root, 'a.txt'));
    await rm(join(share.root, 'b'), { recursive: true });
    const { reporter, lines } = collectingReporter();
    expect(await walk(share, { reporter })).toMatchObject({ outcome: 'walked', deleted: 0, kept: 2 });
    expect(lines().find((l) => l.event === 'nas_index.share_empty')).toMatchObject({
      level: 'warn',
      share: share.name,
      indexed: 2,
    });
    expect(await pathsOf(share.name)).toEqual(['a.txt', 'b/c.txt']);
  });
});

describe('CJK names', () => {
  it('stores names as the filesystem spells them (NFC or NFD) and normalises only search_text', async () => {
    const nfc = 'Café 見積書.xlsx';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const kana = 'ガイド.pdf'; // NFD splits the dakuten: カ + ゙
    const share = await makeShare({
      [`mac/${nfd}`]: 'from a Mac',
      [`win/${nfc}`]: 'from Windows',
      [`mac/${kana.normalize('NFD')}`]: 'k',
      'ｆｕｌｌ/Ｐｌａｎ２.PDF': 'f',
    });
    expect(await walk(share)).toMatchObject({ inserted: 4 });
    const rows = await rowsOf(share.name);
    const mac = rows.find((r) => r.path.startsWith('mac/C'))!;
    const win = rows.find((r) => r.path.startsWith('win/'))!;
    expect(mac.name).toBe(nfd);
    expect(win.name).toBe(nfc);
    expect(mac.searchText).toBe(`${share.name}/mac/café 見積書.xlsx`);
    expect(win.searchText).toBe(`${share.name}/win/café 見積書.xlsx`);
    expect(rows.find((r) => r.path.startsWith('mac/カ'))!.searchText).toBe(`${share.name}/mac/ガイド.pdf`);
    expect(rows.find((r) => r.path.startsWith('ｆｕｌｌ'))).toMatchObject({
      extension: 'pdf',
      searchText: `${share.name}/full/plan2.pdf`,
    });
    // The stored path names the file: the sender can find it again.
    const found = await resolveInShare([share], share.name, mac.path);
    expect(found).toMatchObject({ size: Buffer.byteLength('from a Mac'), modifiedAt: mac.modifiedAt });
    // And a second walk sees nothing changed.
    expect(await walk(share)).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });
});

describe('one walk per share at a time', () => {
  it('skips a share another job is walking (advisory lock), and walks it once the lock is free', async () => {
    const share = await makeShare({ 'a.txt': 'a' });
    const other = new pg.Client({ connectionString: fx.databaseUrl });
    await other.connect();
    try {
      const r = await other.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        0x4e415349,
        share.name,
      ]);
      expect(r.rows[0]!.ok).toBe(true);
      const { reporter, lines } = collectingReporter();
      expect(await walk(share, { reporter })).toMatchObject({ outcome: 'busy', inserted: 0 });
      expect(lines().some((l) => l.event === 'nas_index.busy')).toBe(true);
      expect(await pathsOf(share.name)).toEqual([]);
    } finally {
      await other.end();
    }
    expect(await walk(share)).toMatchObject({ outcome: 'walked', inserted: 1 });
    // Two walks at once: one walks, the other is told it is busy (or, if the first already
    // finished, walks and finds nothing to write). Never two inserts of the same file.
    await writeFile(join(share.root, 'b.txt'), 'b');
    const both = await Promise.all([walk(share), walk(share)]);
    expect(both.reduce((n, s) => n + s.inserted, 0)).toBe(1);
  });
});

describe('continuous mode (runIndexer)', () => {
  it('walks every share again after the interval, sooner after a failed walk, and stops when asked', async () => {
    const a = await makeShare({ 'one.txt': '1' });
    const later: Share = { name: `s${++seq}`, root: join(fx.nasRoot, `later-${seq}`) }; // not there yet
    const { reporter, lines } = collectingReporter();
    const stop = new AbortController();
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await ok(), what).toBe(true);
    };
    const running = runIndexer({
      database,
      shares: [a, later],
      intervalMs: 60_000,
      rescanMs: 100,
      retryMs: 100,
      signal: stop.signal,
      reporter,
    });
    await until('first walk of a', async () => (await pathsOf(a.name)).length === 1);
    // The missing share failed; the next round comes after retryMs, not the hour-long interval.
    await mkdir(later.root);
    await writeFile(join(later.root, 'late.txt'), 'l');
    await writeFile(join(a.root, 'two.txt'), '2');
    await until(
      'the retry round',
      async () => (await pathsOf(later.name)).length === 1 && (await pathsOf(a.name)).length === 2,
    );
    stop.abort(new Error('SIGTERM'));
    const result = await running;
    expect(result.errors).toBeGreaterThanOrEqual(1);
    expect(result.walks.filter((w) => w.share === later.name).map((w) => w.outcome)).toContain('walked');
    // a: one full walk, then rescans (the full interval is an hour away); the late share's first
    // good walk is a full one.
    const modes = result.walks.filter((w) => w.share === a.name && w.outcome === 'walked').map((w) => w.mode);
    expect(modes[0]).toBe('full');
    expect(modes.slice(1).every((m) => m === 'rescan') && modes.length > 1).toBe(true);
    expect(result.walks.find((w) => w.share === later.name && w.outcome === 'walked')!.mode).toBe('full');
    // Other tests' shares are in the table but not in this job's NAS_SHARES: it says so.
    expect(lines().some((l) => l.event === 'nas_index.unconfigured_share' && l.share === 's1')).toBe(true);
    expect(
      lines().find((l) => l.event === 'nas_index.walked' && l.share === later.name && l.outcome === 'failed'),
    ).toMatchObject({ level: 'error' });
  });
});

describe('resolveInShare', () => {
  let share: Share;
  beforeEach(async () => {
    share = await makeShare({ 'docs/a.pdf': 'pdf!', 'docs/sub/b.txt': 'b' });
  });

  it('finds a file and gives its size and mtime as the index stores them', async () => {
    const r = await resolveInShare([share], share.name, 'docs/a.pdf');
    const st = await stat(join(share.root, 'docs/a.pdf'));
    expect(r).toEqual({ absolute: join(share.root, 'docs/a.pdf'), size: 4, modifiedAt: modifiedAtOf(st) });
  });

  it.each([
    ['unknown share', 'nope', 'docs/a.pdf', 'unknown_share'],
    ['parent segments', null, '../s1/README', 'outside_share'],
    ['parent inside the path', null, 'docs/../../x', 'outside_share'],
    ['absolute path', null, '/etc/passwd', 'outside_share'],
    ['empty segment', null, 'docs//a.pdf', 'outside_share'],
    ['dot segment', null, './docs/a.pdf', 'outside_share'],
    ['NUL byte', null, 'docs/a.pdf\0.txt', 'outside_share'],
    ['missing file', null, 'docs/none.pdf', 'missing'],
    ['a file used as a folder', null, 'docs/a.pdf/x', 'missing'],
    ['a folder', null, 'docs/sub', 'not_file'],
    ['the share itself', null, '', 'not_file'],
  ])('%s -> %s', async (_label, shareName, path, problem) => {
    expect(await resolveInShare([share], shareName ?? share.name, path)).toEqual({ problem });
  });

  it('follows a symlink only while its realpath stays inside the share', async () => {
    await symlink(join(outside, 'secret.txt'), join(share.root, 'docs/secret.txt'));
    await symlink(join(outside, 'dir'), join(share.root, 'docs/outdir'));
    await symlink(join(share.root, 'docs/sub/b.txt'), join(share.root, 'docs/inside-link.txt'));
    await symlink('loop2', join(share.root, 'loop1'));
    await symlink('loop1', join(share.root, 'loop2'));
    expect(await resolveInShare([share], share.name, 'docs/secret.txt')).toEqual({ problem: 'outside_share' });
    expect(await resolveInShare([share], share.name, 'docs/outdir/inner.txt')).toEqual({ problem: 'outside_share' });
    expect(await resolveInShare([share], share.name, 'loop1')).toEqual({ problem: 'outside_share' });
    expect(await resolveInShare([share], share.name, 'docs/inside-link.txt')).toMatchObject({
      absolute: join(share.root, 'docs/sub/b.txt'),
      size: 1,
    });
  });

  it('accepts a share root that is itself a symlink (its realpath is the boundary)', async () => {
    const link = join(fx.nasRoot, `link-${share.name}`);
    await symlink(share.root, link);
    expect(await resolveInShare([{ name: share.name, root: link }], share.name, 'docs/a.pdf')).toMatchObject({
      size: 4,
    });
  });
});

describe('the CLI', () => {
  const MAIN = 'nas-sync/src/main.ts';
  it('--once walks each share beside the media sync; --status shows the files per share', async () => {
    const a = await makeShare({ 'x/1.txt': '1', 'x/2.txt': '22' });
    const b = await makeShare({ '3.txt': '333' });
    // The shares are made under fx.nasRoot; the media go beside them (inside one another is refused).
    const media = await mkdtemp(join(tmpdir(), 'nas-media-'));
    const env = {
      DATABASE_URL: fx.databaseUrl,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_DATA_API_BASE_URL: fx.emulator.url,
      NAS_ROOT: media,
      NAS_SHARES: `${a.name}:${a.root}, ${b.name}:${b.root}`,
    };
    const run = await runNode([MAIN, '--once', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const walked = jsonLines(run.stdout).filter((l) => l.event === 'nas_index.walked');
    expect(walked).toEqual([
      expect.objectContaining({ share: a.name, outcome: 'walked', inserted: 2 }),
      expect.objectContaining({ share: b.name, outcome: 'walked', inserted: 1 }),
    ]);
    expect(jsonLines(run.stdout).some((l) => l.event === 'nas_sync.stopped')).toBe(true);

    const status = await runNode([MAIN, '--status', '--json'], { DATABASE_URL: fx.databaseUrl });
    expect(status.code, status.stderr).toBe(0);
    const index = (JSON.parse(status.stdout) as { index: { share: string; files: number; bytes: number }[] }).index;
    expect(index.find((s) => s.share === a.name)).toMatchObject({ files: 2, bytes: 3 });
    expect(index.find((s) => s.share === b.name)).toMatchObject({ files: 1, bytes: 3 });
    const text = await runNode([MAIN, '--status'], { DATABASE_URL: fx.databaseUrl });
    expect(text.stdout).toMatch(new RegExp(`^index ${a.name}\\s+2 files, 3 B, last change \\d{4}-`, 'm'));
    await rm(media, { recursive: true, force: true });
  });

  it('refuses a bad NAS_SHARES or NAS_TIMEZONE with every problem listed (exit 2)', async () => {
    const r = await runNode([MAIN, '--once'], {
      DATABASE_URL: fx.databaseUrl,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      NAS_ROOT: fx.nasRoot,
      NAS_SHARES: `ok:${fx.nasRoot},bad name:/tmp,rel:relative/path,missing:/does/not/exist,OK:/tmp`,
      NAS_TIMEZONE: 'Mars/Olympus_Mons',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('share name "bad name" must be 1 to 64 ASCII letters');
    expect(r.stderr).toContain('the path of share rel must be absolute');
    expect(r.stderr).toContain('the path of share missing does not exist');
    expect(r.stderr).toContain('share name "OK" is used twice');
    expect(r.stderr).toContain('NAS_TIMEZONE "Mars/Olympus_Mons" is not an IANA time zone');
  });
});
