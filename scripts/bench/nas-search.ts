/**
 * NAS search latency: a fresh database with 100,000 synthetic nas_files rows (CJK and ASCII paths
 * in a few shares, project folders as the company lays them out), then the Worker's own search
 * statement (src/nas/search.ts `searchStatement`, run here through drizzle on `pg`) for a mix of
 * queries: scoped to a project folder as in a group, every share as in a 1:1 chat, CJK and ASCII,
 * rare and common keywords, with and without a type filter. Prints p50/p95/p99 per query and the
 * plans: first as deployed (the gram index of migration 0006), then without it for comparison.
 *
 *   npx tsx scripts/bench/nas-search.ts [--rows 100000] [--runs 60] [--keep]
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { parseArgs } from 'node:util';
import pg from 'pg';
import * as schema from '@linebot-edge/shared/schema';
import { parseNasFolder } from '../../src/access/nas-folder.ts';
import type { NasScope } from '../../src/access/policy.ts';
import { searchTextOf } from '@linebot-edge/shared/search-text';
import { isProblem, parseFindText, searchStatement } from '../../src/nas/search.ts';
import { createDatabase, dropDatabase, migrateDatabase, withDatabase } from '../lib/database.ts';
import { percentile } from './percentile.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---- a deterministic synthetic NAS -----------------------------------------------------------

/** mulberry32: small, fast, and the same rows on every run. */
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const SHARES = ['projects', 'admin', 'design', 'archive'] as const;
const SITES = Array.from(
  { length: 60 },
  (_, i) =>
    `${pick(['大安', '信義', '內湖', '板橋', '新莊', '竹北', '台中', 'Taoyuan', 'Kaohsiung'])}案場${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26) || ''}`,
);
const DEPTS = [
  '圖面',
  '報價',
  '合約',
  '施工照片',
  '會議紀錄',
  'Drawings',
  'Invoices',
  '估價單',
  '請款',
  '驗收',
  'BIM',
  '設計變更',
];
const STEMS = [
  '平面圖',
  '立面圖',
  '剖面圖',
  '報價單',
  '合約書',
  '施工日誌',
  'Meeting Notes',
  'Quotation',
  'Floor Plan',
  'invoice',
  '請款單',
  '會議紀錄',
  'IMG',
  'DSC',
  '結構計算書',
  'Ｒｅｐｏｒｔ',
];
const EXTS = ['pdf', 'pdf', 'pdf', 'dwg', 'xlsx', 'docx', 'jpg', 'jpg', 'jpg', 'png', 'pptx', 'zip', 'txt'];

function syntheticRow(i: number): typeof schema.nasFiles.$inferInsert {
  const share = i % 10 < 6 ? 'projects' : pick(SHARES);
  const site = pick(SITES);
  const dept = pick(DEPTS);
  const year = 2019 + Math.floor(rand() * 8);
  const stem = pick(STEMS);
  const ext = pick(EXTS);
  const name = `${stem}-${year}${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-v${1 + Math.floor(rand() * 5)}_${i}.${ext}`;
  const path =
    share === 'projects'
      ? `${site}/${dept}/${year}/${name}`
      : `${pick(DEPTS)}/${year}/${pick(['Q1', 'Q2', 'Q3', 'Q4', '共用', 'Shared'])}/${name}`;
  return {
    share,
    path,
    name,
    extension: ext,
    size: Math.floor(rand() * 50_000_000),
    modifiedAt: new Date(Date.UTC(year, Math.floor(rand() * 12), 1 + Math.floor(rand() * 28))),
    searchText: searchTextOf(share, path),
  };
}

// ---- the queries -----------------------------------------------------------------------------

const site = SITES[3]!;
const projectScope: NasScope = { kind: 'folders', folders: [parseNasFolder(`projects/${site}`)!] };
const deptScope: NasScope = { kind: 'folders', folders: [parseNasFolder(`projects/${site}/報價`)!] };
const everything: NasScope = { kind: 'all' };
const QUERIES: Array<[label: string, scope: NasScope, text: string]> = [
  ['group: project folder, CJK common', projectScope, '平面圖'],
  ['group: project folder, two keywords + type', projectScope, '報價 2024 type:pdf'],
  ['group: project folder, rare', projectScope, '結構計算書 v5'],
  ['group: deep folder, common', deptScope, 'pdf'],
  ['group: project folder, nothing matches', projectScope, '不存在的檔名'],
  ['1:1: all shares, CJK common', everything, '報價單'],
  ['1:1: all shares, ASCII common (case, width)', everything, 'ＱＵＯＴＡＴＩＯＮ'],
  ['1:1: all shares, rare (one file)', everything, '_77777.'],
  ['1:1: all shares, two keywords + type', everything, '會議紀錄 2023 type:docx,pdf'],
  ['1:1: all shares, very common (a digit)', everything, '1'],
  ['1:1: all shares, nothing matches', everything, '不存在的檔名'],
];

async function main() {
  const name = `linebot_bench_nas_${Date.now()}_${process.pid}`;
  const url = await createDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrateDatabase(url);
    const db = drizzle({ client: pool, schema });
    const t0 = performance.now();
    const BATCH = 2000;
    for (let i = 0; i < ROWS; i += BATCH) {
      await db
        .insert(schema.nasFiles)
        .values(Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, j) => syntheticRow(i + j)));
    }
    await pool.query('ANALYZE nas_files');
    const {
      rows: [stats],
    } = await pool.query<{ n: string; bytes: string }>(
      `SELECT count(*) n, pg_total_relation_size('nas_files') bytes FROM nas_files`,
    );
    console.log(
      `nas_files: ${stats!.n} rows, ${(Number(stats!.bytes) / 2 ** 20).toFixed(1)} MiB with indexes, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.log(
      `runs per query: ${RUNS} (after 5 warm-up runs); one connection, as the Worker has; Postgres ${(await pool.query('SHOW server_version')).rows[0].server_version}\n`,
    );

    // A reference for how loaded the machine is: one plain scan of the table.
    const s0 = performance.now();
    await pool.query('SELECT count(*) FROM nas_files WHERE length(search_text) > 0');
    console.log(
      `reference: a plain scan of the table takes ${(performance.now() - s0).toFixed(1)} ms; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`,
    );

    const {
      rows: [ix],
    } = await pool.query<{ size: string }>(
      `SELECT pg_size_pretty(pg_relation_size('nas_files_search_grams_idx')) size`,
    );
    console.log(`---- as deployed: with the gram index of migration 0006 (${ix!.size}) ----\n`);
    await measure(db, pool, true);
    console.log(`\n---- for comparison: strpos over the table, no gram index ----\n`);
    await measure(db, pool, false);
  } finally {
    await pool.end();
    if (args.keep) console.log(`\nkept database ${withDatabase(url, name)}`);
    else await dropDatabase(adminUrl, name);
  }
}

async function measure(db: ReturnType<typeof drizzle<typeof schema>>, pool: pg.Pool, gramIndex: boolean) {
  {
    const results: Array<{ label: string; hits: number; p50: number; p95: number; p99: number }> = [];
    for (const [label, scope, text] of QUERIES) {
      const query = parseFindText(text);
      if (isProblem(query)) throw new Error(`bad query ${text}`);
      const statement = () => searchStatement(db, scope, query, { limit: 11, gramIndex });
      let hits = 0;
      for (let i = 0; i < 5; i++) hits = (await statement()).length;
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await statement();
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      results.push({
        label,
        hits,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        p99: percentile(times, 0.99),
      });
    }
    const width = Math.max(...results.map((r) => r.label.length));
    console.log(`${'query'.padEnd(width)}  hits   p50 ms   p95 ms   p99 ms`);
    for (const r of results) {
      console.log(
        `${r.label.padEnd(width)}  ${String(r.hits).padStart(4)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}${r.p95 >= 50 ? '  <- over the 50 ms goal' : ''}`,
      );
    }
    const all = results.map((r) => r.p95).sort((a, b) => a - b);
    console.log(`\nworst p95: ${all.at(-1)!.toFixed(2)} ms (goal: under 50 ms)`);

    // The plans of a scoped and a whole-NAS query: the scoped one must use the prefix index.
    for (const [label, scope, text] of [QUERIES[0]!, QUERIES[5]!]) {
      const query = parseFindText(text);
      if (isProblem(query)) continue;
      const { sql: statementSql, params } = searchStatement(db, scope, query, { limit: 11, gramIndex }).toSQL();
      const plan = await pool.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${statementSql}`, params);
      console.log(`\nplan: ${label}\n${plan.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`);
    }
  }
}

await main();
