/**
 * `npm run bench`: figures, not feelings.
 *
 * Starts the stack (the Worker's deploy bundle on Miniflare, the LINE emulator, the WebSocket
 * proxy; embedded PGlite, or a fresh database on the PostgreSQL that DATABASE_URL points at),
 * then drives each target with signed webhook bodies at a fixed concurrency for a fixed time:
 *
 *   mixed events:      our Worker, then the @line/bot-sdk middleware baseline (verify + parse, 200)
 *   group text only:   our Worker, then the seed article's approach (3 LINE calls + a query per lookup)
 *
 * Counts are counted: LINE API calls by the emulator, database round trips on the wire (the
 * proxy parses what the Worker sends to Postgres), events persisted from the inbox itself.
 *
 *   npm run bench                          # embedded PGlite, 15 s per target, 20 connections
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   npm run bench -- --duration 5 --connections 10 --json
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDatabase, dropDatabase } from '../lib/database.ts';
import { UserError } from '../local/ports.ts';
import { isLocalUrl, redactUrl, startStack, type Stack } from '../local/stack.ts';
import { runLoadChild, startServerChild, type ServerChild } from './children.ts';
import type { LoadResult } from './load.ts';
import { formatReport, machine, ratios, type BenchReport, type TargetResult } from './report.ts';
import type { Mix } from './workload.ts';

const SECRET = 'bench-channel-secret';
const ACCESS_TOKEN = 'bench-access-token';

interface Options {
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** Added to every LINE API answer (the emulator is local; api.line.me is not). */
  lineLatencyMs: number;
  only: Set<string>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '20' },
      'line-latency': { type: 'string', default: '0' },
      only: { type: 'string', default: 'worker,sdk,article' },
      json: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('npm run bench -- [--duration s] [--warmup s] [--connections n] [--line-latency ms] [--only worker,sdk,article] [--smoke] [--json]\n' +
      'DATABASE_URL (a local PostgreSQL) replaces the embedded PGlite; the bench works in a fresh database it creates and drops.');
    return;
  }
  const options: Options = {
    // Smoke: every code path once, quickly (CI checks the output parses, not the speed).
    durationSec: values.smoke ? 1 : Number(values.duration),
    warmupSec: values.smoke ? 0.25 : Number(values.warmup),
    connections: values.smoke ? 4 : Number(values.connections),
    lineLatencyMs: Number(values['line-latency']),
    only: new Set(values.only.split(',')),
  };
  if (!(options.durationSec > 0) || !(options.connections > 0) || !(options.warmupSec >= 0) || !(options.lineLatencyMs >= 0)) {
    throw new UserError('--duration, --warmup, --connections and --line-latency must be positive numbers');
  }
  // Progress goes to stderr so that --json leaves stdout to the report alone.
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const tmp = mkdtempSync(join(tmpdir(), 'linebot-bench-'));
  const given = process.env.DATABASE_URL || undefined;
  let dropBenchDb: (() => Promise<void>) | undefined;
  let stack: Stack | undefined;
  const servers: ServerChild[] = [];
  try {
    // A database of our own: the bench truncates between targets and must never touch real data.
    let databaseUrl: string | undefined;
    if (given) {
      if (!isLocalUrl(given)) throw new UserError('npm run bench measures a local PostgreSQL: DATABASE_URL must point at 127.0.0.1 or localhost');
      const name = `linebot_bench_${Date.now()}`;
      databaseUrl = await createDatabase(given, name).catch((e: unknown) => {
        throw new UserError(`cannot create a bench database on ${redactUrl(given)}: ${(e as Error).message}`);
      });
      dropBenchDb = () => dropDatabase(given, name);
    }
    say(`starting the stack (${given ? `PostgreSQL at ${redactUrl(given)}` : 'embedded PGlite'}, Worker bundle on Miniflare) ...`);
    stack = await startStack({
      worker: 'miniflare',
      ports: { worker: 0, emulator: 0, proxy: 0, database: 0 },
      databaseUrl,
      migrate: true,
      dataDir: given ? undefined : join(tmp, 'pgdata'),
      secrets: { LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: ACCESS_TOKEN, ADMIN_API_TOKEN: 'bench-admin-token' },
      countRoundTrips: true,
      lineLatencyMs: options.lineLatencyMs,
      bundleDir: join(tmp, 'bundle'),
    });
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const postgresVersion = ((await db.query('select version() as v')).rows[0]?.v as string).split(' on ')[0]!;

    const run = (target: TargetResult['target'], mix: Mix, url: string, stats?: () => Promise<Record<string, number>>) =>
      runTarget(stack!, db, options, say, { target, mix, url, stats });

    const results: TargetResult[] = [];
    if (options.only.has('worker')) results.push(await run('worker', 'mixed', stack.webhookUrl));
    if (options.only.has('sdk')) {
      const sdk = await startServerChild('sdk-server.ts', { secret: SECRET });
      servers.push(sdk);
      results.push(await run('sdk-baseline', 'mixed', sdk.url));
    }
    if (options.only.has('worker')) results.push(await run('worker', 'group-text', stack.webhookUrl));
    if (options.only.has('article')) {
      const article = await startServerChild('article-server.ts', {
        secret: SECRET,
        accessToken: ACCESS_TOKEN,
        lineApiUrl: stack.emulator.url,
        databaseUrl: stack.databaseUrl,
      });
      servers.push(article);
      const articleStats = async () => (await (await fetch(`${article.url}/__stats`)).json()) as Record<string, number>;
      results.push(await run('article', 'group-text', article.url, articleStats));
    }
    await db.end();

    const report: BenchReport = {
      machine: machine(),
      database: given ? `${postgresVersion} (local server, fresh database)` : `${postgresVersion} (embedded PGlite, file-backed)`,
      config: { durationSec: options.durationSec, warmupSec: options.warmupSec, connections: options.connections, eventsPerRequest: 1, lineLatencyMs: options.lineLatencyMs },
      results,
      ratios: ratios(results),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else console.log(formatReport(report));
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await stack?.stop();
    await dropBenchDb?.().catch((e: unknown) => say(`could not drop the bench database: ${(e as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One target: a clean slate, a warm-up, the measured run, then the backlog drained and counted. */
async function runTarget(
  stack: Stack,
  db: pg.Client,
  options: Options,
  say: (line: string) => void,
  /** A baseline server's own counters (cumulative; the run's share is the difference). */
  spec: { target: TargetResult['target']; mix: Mix; url: string; stats?: () => Promise<Record<string, number>> },
): Promise<TargetResult> {
  const load = (durationSec: number) => runLoadChild({ url: spec.url, secret: SECRET, mix: spec.mix, connections: options.connections, durationSec });
  const settle = () => (spec.stats ? drainServer(spec.stats, 30_000) : spec.target === 'worker' ? drain(db, 30_000) : Promise.resolve(true));
  if (options.warmupSec > 0) {
    await load(options.warmupSec);
    await settle();
  }
  await clean(stack, db);
  const statsBefore = (await spec.stats?.()) ?? {};
  say(`  ${spec.target} (${spec.mix}): ${options.durationSec} s at ${options.connections} connections ...`);
  const loaded: LoadResult = await load(options.durationSec);
  const drained = await settle();

  const acked = loaded.statuses['200'] ?? 0;
  const non2xx = Object.entries(loaded.statuses).filter(([code]) => !code.startsWith('2')).reduce((s, [, n]) => s + n, 0);
  const lineCalls = stack.emulator.requests().length;
  const violations = stack.emulator.violations().length;
  const result: TargetResult = {
    target: spec.target,
    mix: spec.mix,
    durationSec: loaded.durationSec,
    requests: loaded.requests,
    acked,
    ackPerSec: acked / loaded.durationSec,
    latencyMs: loaded.latencyMs,
    errors: { non2xx, connection: loaded.errors, failedEvents: 0, lineViolations: violations, undrained: drained ? 0 : 1 },
  };

  if (spec.target === 'worker') {
    const s = (
      await db.query(`
        select count(*)::int as events,
               count(*) filter (where event_type = 'message')::int as messages,
               count(*) filter (where status = 'done')::int as done,
               count(*) filter (where status in ('failed', 'dead'))::int as failed,
               extract(epoch from max(processed_at) - min(received_at))::float8 as span,
               percentile_cont(array[0.5, 0.95, 0.99]) within group (order by extract(epoch from processed_at - received_at) * 1000)
                 filter (where status = 'done') as e2e
          from line_webhook_events`)
    ).rows[0] as { events: number; messages: number; done: number; failed: number; span: number | null; e2e: number[] | null };
    const rt = stack.proxy!.counts();
    result.errors.failedEvents = s.failed;
    result.persisted = s.done;
    result.persistedPerSec = s.span ? s.done / s.span : 0;
    result.e2eMs = { p50: s.e2e?.[0] ?? 0, p95: s.e2e?.[1] ?? 0, p99: s.e2e?.[2] ?? 0 };
    result.lineCalls = lineCalls;
    result.lineCallsPerEvent = lineCalls / Math.max(1, s.events);
    result.lineCallsPerMessage = spec.mix === 'group-text' ? lineCalls / Math.max(1, s.messages) : undefined;
    result.dbRoundTripsPerEvent = rt.query / Math.max(1, s.events);
    result.dbConnectionsPerRequest = rt.connections / Math.max(1, acked);
    result.dbHandshakeRoundTripsPerConnection = rt.handshake / Math.max(1, rt.connections);
  } else if (spec.target === 'article') {
    const s = (
      await db.query(`select count(*)::int as messages, extract(epoch from max(created_at) - min(created_at))::float8 as span from line_messages`)
    ).rows[0] as { messages: number; span: number | null };
    const after = (await spec.stats?.()) ?? {};
    const stats = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (statsBefore[k] ?? 0)]));
    result.errors.failedEvents = stats.failed ?? 0;
    result.persisted = s.messages;
    result.persistedPerSec = s.span ? s.messages / s.span : 0;
    result.lineCalls = lineCalls;
    result.lineCallsPerEvent = lineCalls / Math.max(1, acked);
    result.lineCallsPerMessage = lineCalls / Math.max(1, s.messages);
    // Every pg query is one round trip (Parse/Bind/Execute/Sync); its pool keeps connections open.
    result.dbRoundTripsPerEvent = (stats.queries ?? 0) / Math.max(1, stats.messages ?? acked);
  }
  return result;
}

/** Truncates every table the migrations made, and zeroes the counters. */
async function clean(stack: Stack, db: pg.Client): Promise<void> {
  const tables = (await db.query(`select tablename from pg_tables where schemaname = 'public'`)).rows.map((r) => `"${r.tablename as string}"`);
  if (tables.length > 0) await db.query(`truncate ${tables.join(', ')} restart identity cascade`);
  stack.emulator.reset();
  stack.proxy?.resetCounts();
}

/**
 * Waits (bounded) until no inbox row is still being processed. Requests cut off when the load
 * stopped may still be on their way in: a short settle first, then two quiet readings in a row.
 */
async function drain(db: pg.Client, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  await sleep(300);
  while (Date.now() < deadline) {
    const { rows } = await db.query(`select count(*)::int as n from line_webhook_events where status = 'processing'`);
    quiet = rows[0]?.n === 0 ? quiet + 1 : 0;
    if (quiet === 2) return true;
    await sleep(200);
  }
  return false;
}

/** The same for a baseline server that processes inline: until it has nothing in flight. */
async function drainServer(stats: () => Promise<Record<string, number>>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  await sleep(300);
  while (Date.now() < deadline) {
    if (((await stats()).inFlight ?? 0) === 0) return true;
    await sleep(200);
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main().then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof UserError) console.error(`npm run bench: ${e.message}`);
    else console.error(e);
    process.exit(1);
  },
);
