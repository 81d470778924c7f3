/**
 * `npx tsx scripts/bench/nas-index.ts`: how fast the nas-sync job indexes a share. Figures only.
 *
 * Builds a synthetic share in a temp folder (default 1000 folders x 100 empty files = 100,000)
 * and a fresh, migrated database, then times three walks of it:
 *   full:       the first walk (every file inserted)           -> files indexed per second
 *   unchanged:  a second walk (every file lstat'ed, nothing written)
 *   1% changed: after rewriting 0.5% of the files (size and mtime), adding 0.25% and deleting 0.25%
 * and the same two as rescans (only folders whose mtime changed are listed; a rescan finds the
 * added and deleted files, not the rewritten ones):
 *   rescan unchanged, rescan 0.5% (0.25% added, 0.25% deleted, in 50% of the folders)
 *
 *   npx tsx scripts/bench/nas-index.ts
 *   npx tsx scripts/bench/nas-index.ts --dirs 100 --per-dir 100 --batch 2000
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/nas-index.ts
 *
 * The database is on this machine: a remote one (Neon) adds one round trip per batch of writes
 * (1000 rows) and the SELECT of the share's rows at the start of each walk.
 */
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, migrateDatabase } from '../lib/database.ts';
import { openDatabase } from '../../nas-sync/src/db.ts';
import { indexShare, type WalkSummary } from '../../nas-sync/src/index/index.ts';

const { values } = parseArgs({
  options: {
    dirs: { type: 'string', default: '1000' },
    'per-dir': { type: 'string', default: '100' },
    batch: { type: 'string', default: '1000' },
  },
});
const dirs = Number(values.dirs);
const perDir = Number(values['per-dir']);
const batchSize = Number(values.batch);
const total = dirs * perDir;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `nas_index_bench_${Date.now()}`;
const root = mkdtempSync(join(tmpdir(), 'nas-index-bench-'));
const folder = (d: number) => join(root, `folder-${String(d).padStart(5, '0')}`);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const line = (label: string, ms: number, s: WalkSummary, extra = '') =>
  console.log(
    `${label.padEnd(12)} ${String(ms).padStart(7)} ms  ${fmt((s.files * 1000) / ms).padStart(9)} files/s  ` +
      `inserted ${s.inserted}, updated ${s.updated}, deleted ${s.deleted}${extra}`,
  );

let url: string | undefined;
try {
  console.log(
    `nas-index bench: ${fmt(total)} files (${dirs} folders x ${perDir}), batch ${batchSize}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const t = Date.now();
  for (let d = 0; d < dirs; d++) {
    mkdirSync(folder(d));
    for (let f = 0; f < perDir; f++) closeSync(openSync(join(folder(d), `file-${f}.dat`), 'w'));
  }
  console.log(`generated    ${String(Date.now() - t).padStart(7)} ms`);
  url = await createDatabase(adminUrl, dbName);
  await migrateDatabase(url);
  const database = openDatabase(url, { max: 3 });
  const share = { name: 'bench', root };
  let dirState = new Map();
  const walk = async (rescan = false) => {
    const started = Date.now();
    const next = new Map();
    const s = await indexShare({ database, share, batchSize, dirs: next, previousDirs: rescan ? dirState : undefined });
    dirState = next;
    if (s.outcome !== 'walked') throw new Error(`walk ${s.outcome}: ${s.error ?? ''}`);
    return { s, ms: Date.now() - started };
  };
  try {
    const full = await walk();
    line('full', full.ms, full.s);
    const same = await walk();
    line('unchanged', same.ms, same.s);

    // 1% changed: rewrite every 200th file, add 1 per 400 and delete 1 per 400 (others).
    let rewritten = 0;
    let added = 0;
    let deleted = 0;
    for (let i = 0; i < total; i++) {
      const d = Math.floor(i / perDir);
      const f = i % perDir;
      if (i % 200 === 0) {
        appendFileSync(join(folder(d), `file-${f}.dat`), 'changed');
        rewritten++;
      } else if (i % 400 === 1) {
        unlinkSync(join(folder(d), `file-${f}.dat`));
        deleted++;
      } else if (i % 400 === 3) {
        writeFileSync(join(folder(d), `new-${f}.dat`), 'new');
        added++;
      }
    }
    const changed = await walk();
    line('1% changed', changed.ms, changed.s, ` (made: ${rewritten} rewritten, ${added} added, ${deleted} deleted)`);

    const rescan = await walk(true);
    line('rescan same', rescan.ms, rescan.s, `, folders not listed ${rescan.s.unchangedDirs} of ${rescan.s.dirs}`);
    let a = 0;
    let r = 0;
    for (let i = 0; i < total; i++) {
      const d = Math.floor(i / perDir);
      const f = i % perDir;
      if (i % 400 === 5) {
        unlinkSync(join(folder(d), `file-${f}.dat`));
        r++;
      } else if (i % 400 === 7) {
        writeFileSync(join(folder(d), `added-${f}.dat`), 'new');
        a++;
      }
    }
    const rescanChanged = await walk(true);
    line(
      'rescan 0.5%',
      rescanChanged.ms,
      rescanChanged.s,
      ` (made: ${a} added, ${r} deleted), folders not listed ${rescanChanged.s.unchangedDirs} of ${rescanChanged.s.dirs}`,
    );
  } finally {
    await database.end();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
  if (url) await dropDatabase(adminUrl, dbName);
}
