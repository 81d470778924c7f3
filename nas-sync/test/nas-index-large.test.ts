/**
 * 100,000 files (1000 folders x 100 empty files): every one ends up in nas_files, and a second
 * walk of the unchanged share writes nothing. Timings are printed, not asserted (see
 * scripts/bench/nas-index.ts for the figures).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db.ts';
import { indexShare } from '../src/index/index.ts';
import { setupNasSync, type NasSyncFixture } from './nas-sync-support.ts';

const DIRS = 1000;
const PER_DIR = 100;

let fx: NasSyncFixture;
let database: Database;
beforeAll(async () => {
  fx = await setupNasSync('index_large');
  database = openDatabase(fx.databaseUrl, { max: 3 });
});
afterAll(async () => {
  await database?.end();
  await fx?.close();
});

it('indexes 100,000 files, and an unchanged second walk writes nothing', { timeout: 120_000 }, async () => {
  const root = join(fx.nasRoot, 'big');
  await mkdir(root);
  let t = Date.now();
  for (let d = 0; d < DIRS; d++) {
    const dir = join(root, `folder-${String(d).padStart(4, '0')}`);
    mkdirSync(dir);
    for (let f = 0; f < PER_DIR; f++) closeSync(openSync(join(dir, `file-${f}.dat`), 'w'));
  }
  const generated = Date.now() - t;
  const share = { name: 'big', root };

  t = Date.now();
  const first = await indexShare({ database, share });
  const firstMs = Date.now() - t;
  expect(first).toMatchObject({
    outcome: 'walked',
    files: DIRS * PER_DIR,
    inserted: DIRS * PER_DIR,
    updated: 0,
    deleted: 0,
  });
  const count = await fx.db.execute<{ n: string; paths: string; last: Date }>(
    sql`SELECT count(*) AS n, count(DISTINCT path) AS paths, max(indexed_at) AS last FROM nas_files WHERE share = 'big'`,
  );
  expect(Number(count.rows[0]!.n)).toBe(DIRS * PER_DIR);
  expect(Number(count.rows[0]!.paths)).toBe(DIRS * PER_DIR);
  const spot = await fx.db.execute<{ path: string; size: string; extension: string }>(
    sql`SELECT path, size, extension FROM nas_files WHERE share = 'big' AND path IN ('folder-0000/file-0.dat', 'folder-0999/file-99.dat') ORDER BY path`,
  );
  expect(spot.rows.map((r) => [r.path, Number(r.size), r.extension])).toEqual([
    ['folder-0000/file-0.dat', 0, 'dat'],
    ['folder-0999/file-99.dat', 0, 'dat'],
  ]);

  t = Date.now();
  const second = await indexShare({ database, share });
  const secondMs = Date.now() - t;
  expect(second).toMatchObject({ outcome: 'walked', files: DIRS * PER_DIR, inserted: 0, updated: 0, deleted: 0 });
  const after = await fx.db.execute<{ last: Date }>(
    sql`SELECT max(indexed_at) AS last FROM nas_files WHERE share = 'big'`,
  );
  expect(new Date(after.rows[0]!.last).getTime()).toBe(new Date(count.rows[0]!.last).getTime());

  console.log(`100,000 files: generated in ${generated} ms, first walk ${firstMs} ms, unchanged walk ${secondMs} ms`);
});
