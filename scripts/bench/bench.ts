/**
 * `npm run bench`: figures, not feelings.
 *
 * Starts the stack (the Worker's deploy bundle on Miniflare, the LINE emulator, the WebSocket
 * proxy; embedded PGlite, or a fresh database on the PostgreSQL that DATABASE_URL points at),
 * then drives each target with signed webhook bodies at a fixed concurrency for a fixed time:
 *
 *   mixed events:      our Worker, then the @line/bot-sdk middleware baseline (verify + parse, 200)
 *   group text only:   our Worker, then the seed article's approach (3 LINE calls + a query per lookup)
 *   ai:                bound users' 1:1 questions, the Claude emulator answering after 2, 20 and 60 s
 *                      (on each path; ai.ts): the bot's time before and after Claude, reply or push
 *
 * With a local PostgreSQL it does so both ways in one run: `direct` (straight into Postgres, trust,
 * no pipelining) and `pooled` (through PgBouncer in transaction mode with a password role, as Neon's
 * pooled endpoint: the Worker's driver pipelines its login; the article's process-wide pool goes
 * through the same PgBouncer). The load reaches the Worker on a socket of workerd's own, as on plain
 * workerd, not through Miniflare's entry worker (a dev layer that costs CPU production does not pay). The article reaches the database through a TCP proxy, the Worker
 * through the WebSocket proxy; with --db-latency both proxies delay every answer.
 *
 * Counts are counted: LINE API calls by the emulator, database round trips on the wire (the
 * proxy parses what the Worker sends to Postgres, and times each connection's flights up to the
 * inbox INSERT's answer), events persisted from the inbox itself, checked against what was acked.
 *
 *   npm run bench                          # embedded PGlite, 15 s per target, 20 connections
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- --db-latency 20
 *   npm run bench -- --duration 5 --connections 10 --json
 *   npm run bench -- --only ai --ai-delays 2,20,60 --ai-questions 3
 *   npm run bench -- --only ai --ai-delays 60 --ai-questions 2 --ai-late-answer push
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDatabase, dropDatabase, migrateDatabase } from '../lib/database.ts';
import {
  ensurePooledRole,
  PGBOUNCER_BIN,
  pgbouncerAvailable,
  POOLED_ROLE,
  startPgBouncer,
  type PgBouncer,
} from '../lib/pgbouncer.ts';
import { startTcpDelayProxy, type TcpDelayProxy } from '../lib/tcp-delay-proxy.ts';
import { UserError } from '../local/ports.ts';
import { isLocalUrl, redactUrl, startStack, type Stack } from '../local/stack.ts';
import { runLoadChild, startServerChild, type ServerChild } from './children.ts';
import { probeLatency, type LoadResult } from './load.ts';
import {
  formatReport,
  goals,
  machine,
  ratios,
  roundOf,
  runLength,
  type AckPath,
  type BenchReport,
  type DbPath,
  type Integrity,
  type Round,
  type TargetResult,
} from './report.ts';
import type { Mix } from './workload.ts';
import { BENCH_ANTHROPIC_KEY, runAiScenario, type AiResult } from './ai.ts';
import { cpuMsPerAck, cpuSnapshot } from './cpu.ts';

const SECRET = 'bench-channel-secret';
const ACCESS_TOKEN = 'bench-access-token';
/** The statement the ack waits for: the inbox INSERT, or the intake function that makes it (drizzle/0014). */
const INBOX_INSERT = /\binsert\s+into\s+"?line_webhook_events"?|\blinebot_intake_message\(/i;

interface Options {
  durationSec: number;
  /** Requests per measured run instead of a duration (smoke). */
  amount?: number;
  warmupSec: number;
  /** Group text pairs (ours, article), alternating; more than one only with both targets. */
  rounds: number;
  connections: number;
  /** Added to every LINE API answer (the emulator is local; api.line.me is not). */
  lineLatencyMs: number;
  /** Added to every database round trip at the proxies (the edge is not in Neon's region). */
  dbLatencyMs: number;
  /** Length of each unloaded latency probe (with --db-latency). */
  probeSec: number;
  only: Set<string>;
  paths: DbPath[];
  /** The AI scenario: Claude delays and questions per delay. */
  aiDelaysMs: number[];
  /** AI_LATE_ANSWER for the AI scenario's Worker. */
  aiLateAnswer: 'button' | 'push';
  aiQuestions: number;
}

const PATHS = (embedded: boolean): Record<DbPath, string> => ({
  direct: embedded
    ? 'Worker -> WebSocket proxy -> embedded PGlite (no password, no pipelining); article pg pool -> TCP proxy -> PGlite'
    : 'Worker -> WebSocket proxy -> PostgreSQL (trust, no pipelining, a new backend per request); article pg pool -> TCP proxy -> PostgreSQL',
  pooled: `Worker -> WebSocket proxy -> PgBouncer (transaction pooling, password role ${POOLED_ROLE.user}, pipelined login) -> PostgreSQL; article pg pool -> TCP proxy -> the same PgBouncer`,
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '20' },
      'line-latency': { type: 'string', default: '0' },
      'db-latency': { type: 'string', default: '0' },
      only: { type: 'string', default: 'worker,sdk,article,ai' },
      'ai-delays': { type: 'string', default: '2,20,60' },
      'ai-questions': { type: 'string', default: '3' },
      'ai-late-answer': { type: 'string', default: 'button' },
      paths: { type: 'string', default: 'direct,pooled' },
      rounds: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'npm run bench -- [--duration s] [--warmup s] [--connections n] [--line-latency ms] [--db-latency ms]\n' +
        '                 [--only worker,sdk,article,ai] [--paths direct,pooled] [--rounds n] [--ai-delays s,s,..] [--ai-questions n] [--ai-late-answer button|push] [--smoke] [--json]\n' +
        'DATABASE_URL (a local PostgreSQL) replaces the embedded PGlite; the bench works in a fresh database it creates and drops,\n' +
        "and runs the pooled path through a PgBouncer it starts (Debian's pgbouncer; skipped, and said so, when it is missing).\n" +
        '--db-latency ms: every database round trip (connection open included) costs ms more, on both proxies.\n' +
        '--rounds n: group text, ours and the article n times each, alternating (the first of each pair swaps every round),\n' +
        "  so that drift on a shared machine falls on both; the goal is judged on the median of the rounds' ratios.\n" +
        'ai: bound users ask 1:1 questions, the Claude emulator answers after each delay in --ai-delays (seconds, default 2,20,60;\n' +
        '--ai-questions per delay, default 3, all at once): overhead before and after Claude, reply or push (--smoke: 0.2 s, 2 questions);\n' +
        '--ai-late-answer: AI_LATE_ANSWER for it (default button: the bench taps the 取得回答 button like a user).',
    );
    return;
  }
  const paths = values.paths.split(',').filter((p): p is DbPath => p === 'direct' || p === 'pooled');
  const options: Options = {
    // Smoke: every code path once, quickly (CI checks the output parses, not the speed).
    durationSec: values.smoke ? 1 : Number(values.duration),
    // By count, so that even a slow CI machine sends the mixed workload's rarer kinds (1 in 8).
    amount: values.smoke ? 200 : undefined,
    // No warm-up: a warm-up costs a load process per target, and smoke figures are not read.
    warmupSec: values.smoke ? 0 : Number(values.warmup),
    connections: values.smoke ? 4 : Number(values.connections),
    lineLatencyMs: Number(values['line-latency']),
    dbLatencyMs: Number(values['db-latency']),
    probeSec: values.smoke ? 0.5 : 3,
    only: new Set(values.only.split(',')),
    paths: (['direct', 'pooled'] as const).filter((p) => paths.includes(p)),
    aiDelaysMs: values.smoke ? [200] : values['ai-delays'].split(',').map((x) => Math.round(Number(x) * 1000)),
    aiQuestions: values.smoke ? 2 : Number(values['ai-questions']),
    aiLateAnswer: values['ai-late-answer'] as 'button' | 'push',
    rounds: values.smoke ? 1 : Number(values.rounds),
  };
  if (options.aiLateAnswer !== 'button' && options.aiLateAnswer !== 'push') {
    throw new UserError('--ai-late-answer takes button or push');
  }
  if (!options.aiDelaysMs.every((d) => d >= 0 && Number.isFinite(d)) || !(options.aiQuestions > 0)) {
    throw new UserError('--ai-delays takes seconds (e.g. 2,20,60) and --ai-questions a positive number');
  }
  if (
    !(options.durationSec > 0) ||
    !(options.connections > 0) ||
    !(options.warmupSec >= 0) ||
    !(options.lineLatencyMs >= 0) ||
    !(options.dbLatencyMs >= 0)
  ) {
    throw new UserError(
      '--duration, --warmup, --connections, --line-latency and --db-latency must be positive numbers',
    );
  }
  if (options.paths.length === 0) throw new UserError('--paths takes direct, pooled or both');
  if (!Number.isInteger(options.rounds) || options.rounds < 1)
    throw new UserError('--rounds takes a whole number, 1 or more');
  // The SDK baseline stores nothing: alone, it needs one path, not both.
  if (!options.only.has('worker') && !options.only.has('article') && !options.only.has('ai'))
    options.paths = options.paths.slice(0, 1);
  // Progress goes to stderr so that --json leaves stdout to the report alone.
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const given = process.env.DATABASE_URL || undefined;
  const skipped: BenchReport['skipped'] = [];
  if (options.paths.includes('pooled')) {
    const reason = !given
      ? 'the pooled path needs a local PostgreSQL (DATABASE_URL) behind PgBouncer; the embedded PGlite takes no password'
      : !pgbouncerAvailable()
        ? `pgbouncer not found at ${PGBOUNCER_BIN} (apt-get install pgbouncer, or scripts/install-system-packages.sh)`
        : undefined;
    if (reason) {
      say(`pooled runs skipped: ${reason}`);
      skipped.push({ path: 'pooled', reason });
      options.paths = options.paths.filter((p) => p !== 'pooled');
    }
  }
  if (options.paths.length === 0) throw new UserError(`nothing to run: ${skipped[0]!.reason}`);

  const tmp = mkdtempSync(join(tmpdir(), 'linebot-bench-'));
  let dropBenchDb: (() => Promise<void>) | undefined;
  const stops: Array<() => Promise<unknown>> = [];
  try {
    // A database of our own: the bench truncates between targets and must never touch real data.
    let directUrl: string | undefined;
    const name = `linebot_bench_${Date.now()}`;
    if (given) {
      if (!isLocalUrl(given))
        throw new UserError(
          'npm run bench measures a local PostgreSQL: DATABASE_URL must point at 127.0.0.1 or localhost',
        );
      const pooled = options.paths.includes('pooled');
      try {
        if (pooled) await ensurePooledRole(given);
        // Owned by the pooled role, as a Neon database is by its role; both paths share it.
        directUrl = await createDatabase(given, name, pooled ? POOLED_ROLE.user : undefined);
      } catch (e) {
        throw new UserError(`cannot create a bench database on ${redactUrl(given)}: ${(e as Error).message}`);
      }
      dropBenchDb = () => dropDatabase(given, name);
      // Migrated as its owner, so the tables belong to the role the pooled Worker logs in as.
      const owner = new URL(directUrl);
      if (pooled) [owner.username, owner.password] = [POOLED_ROLE.user, POOLED_ROLE.password];
      await migrateDatabase(owner.toString()).catch((e: unknown) => {
        throw new UserError(
          `cannot apply the migrations to the bench database: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`,
        );
      });
    }

    const results: TargetResult[] = [];
    const rounds: Round[] = [];
    const ai: AiResult[] = [];
    let database = '';
    for (const path of options.paths) {
      const stopsHere: Array<() => Promise<unknown>> = [];
      const stopPath = async () => {
        for (const s of stopsHere.splice(0).reverse()) await s().catch(() => {});
      };
      stops.push(stopPath);
      let bouncer: PgBouncer | undefined;
      if (path === 'pooled') {
        const u = new URL(given!);
        bouncer = await startPgBouncer({ postgresHost: u.hostname, postgresPort: Number(u.port || 5432) });
        stopsHere.push(() => bouncer!.close());
      }
      say(
        `${path}: starting the stack (${given ? `PostgreSQL at ${redactUrl(given)}` : 'embedded PGlite'}${bouncer ? ` behind PgBouncer on ${bouncer.port}` : ''}, Worker bundle on Miniflare) ...`,
      );
      const stack = await startStack({
        worker: 'miniflare',
        ports: { worker: 0, emulator: 0, proxy: 0, database: 0 },
        databaseUrl: bouncer ? bouncer.urlFor(name) : directUrl,
        migrate: false,
        dataDir: given ? undefined : join(tmp, 'pgdata'),
        secrets: {
          LINE_CHANNEL_SECRET: SECRET,
          LINE_CHANNEL_ACCESS_TOKEN: ACCESS_TOKEN,
          ADMIN_API_TOKEN: 'bench-admin-token-6b2d90e4a17c3f58',
        },
        countRoundTrips: true,
        lineLatencyMs: options.lineLatencyMs,
        bundleDir: join(tmp, `bundle-${path}`),
        ...(options.only.has('ai') ? { claude: { use: 'emulator' as const, apiKey: BENCH_ANTHROPIC_KEY } } : {}),
      });
      stopsHere.push(() => stack.stop());
      stack.proxy!.traceUntil(INBOX_INSERT);
      stack.proxy!.setDelay(options.dbLatencyMs);
      // The bench's own queries go straight in, never through the delay or the pooler.
      const dbUrl = directUrl ?? stack.databaseUrl;
      const db = new pg.Client({ connectionString: dbUrl });
      await db.connect();
      stopsHere.push(() => db.end());
      const version = ((await db.query('select version() as v')).rows[0]!.v as string).split(' on ')[0]!;
      database = given ? `${version} (local server, fresh database)` : `${version} (embedded PGlite, file-backed)`;

      // The article's pool through a TCP proxy with the same delay model, to the same endpoint.
      const articleUrl = new URL(bouncer ? bouncer.urlFor(name) : dbUrl);
      const tcp: TcpDelayProxy = await startTcpDelayProxy({
        target: { host: articleUrl.hostname, port: Number(articleUrl.port || 5432) },
        delayMs: options.dbLatencyMs,
      });
      stopsHere.push(() => tcp.close());
      [articleUrl.hostname, articleUrl.port] = ['127.0.0.1', String(tcp.port)];

      const setDelay = (ms: number) => {
        stack.proxy!.setDelay(ms);
        tcp.setDelay(ms);
      };
      const run = (
        target: TargetResult['target'],
        mix: Mix,
        url: string,
        stats?: () => Promise<Record<string, number>>,
      ) => runTarget(stack, db, options, say, { target, mix, path, url, stats, setDelay });

      // Load goes to workerd's own socket: Miniflare's entry worker (dev conveniences) is not the Worker.
      const webhook = stack.webhookDirectUrl ?? stack.webhookUrl;
      if (options.only.has('worker')) results.push(await run('worker', 'mixed', webhook));
      // Stores nothing: one run, whatever the path.
      if (options.only.has('sdk') && path === options.paths[0]) {
        const sdk = await startServerChild('sdk-server.ts', { secret: SECRET });
        stopsHere.push(() => sdk.stop());
        results.push(await run('sdk-baseline', 'mixed', sdk.url));
      }
      let article: (() => Promise<TargetResult>) | undefined;
      if (options.only.has('article')) {
        const server: ServerChild = await startServerChild('article-server.ts', {
          secret: SECRET,
          accessToken: ACCESS_TOKEN,
          lineApiUrl: stack.emulator.url,
          databaseUrl: articleUrl.toString(),
        });
        stopsHere.push(() => server.stop());
        const articleStats = async () =>
          (await (await fetch(`${server.url}/__stats`)).json()) as Record<string, number>;
        article = () => run('article', 'group-text', server.url, articleStats);
      }
      const ours = options.only.has('worker') ? () => run('worker', 'group-text', webhook) : undefined;
      // The first round is the run's result; with --rounds the pair runs again, alternating.
      if (ours) results.push(await ours());
      if (article) results.push(await article());
      if (ours && article && options.rounds > 1) {
        const first = results.slice(-2) as [TargetResult, TargetResult];
        rounds.push(roundOf(path, 1, 'ours', ...first));
        for (let round = 2; round <= options.rounds; round++) {
          say(`  round ${round} of ${options.rounds}`);
          const oursFirst = round % 2 === 1;
          let mine: TargetResult;
          let theirs: TargetResult;
          if (oursFirst) {
            mine = await ours();
            theirs = await article();
          } else {
            theirs = await article();
            mine = await ours();
          }
          rounds.push(roundOf(path, round, oursFirst ? 'ours' : 'article', mine, theirs));
        }
      }
      // On each path: through PgBouncer is how production reaches Neon.
      if (options.only.has('ai')) {
        await clean(stack, db);
        say(
          `  ai (1:1 questions, ${path}): Claude answering after ${options.aiDelaysMs.map((d) => `${d / 1000} s`).join(', ')} ...`,
        );
        ai.push(
          await runAiScenario(stack, db, {
            path,
            lateAnswer: options.aiLateAnswer,
            delaysMs: options.aiDelaysMs,
            questionsPerDelay: options.aiQuestions,
            secret: SECRET,
            adminToken: 'bench-admin-token-6b2d90e4a17c3f58',
            secrets: {
              LINE_CHANNEL_SECRET: SECRET,
              LINE_CHANNEL_ACCESS_TOKEN: ACCESS_TOKEN,
              ADMIN_API_TOKEN: 'bench-admin-token-6b2d90e4a17c3f58',
            },
            bundleDir: join(tmp, `bundle-${path}`),
            say,
          }),
        );
      }
      await stopPath();
    }

    const report: BenchReport = {
      machine: machine(),
      database,
      paths: Object.fromEntries(options.paths.map((p) => [p, PATHS(!given)[p]])),
      skipped,
      config: {
        durationSec: options.durationSec,
        ...(options.amount ? { amount: options.amount } : {}),
        warmupSec: options.warmupSec,
        connections: options.connections,
        eventsPerRequest: 1,
        lineLatencyMs: options.lineLatencyMs,
        dbLatencyMs: options.dbLatencyMs,
      },
      results,
      ...(rounds.length ? { rounds } : {}),
      ...(ai.length ? { ai } : {}),
      ratios: ratios(results),
      goals: goals(results, rounds),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else console.log(formatReport(report));
  } finally {
    for (const s of stops) await s().catch(() => {});
    await dropBenchDb?.().catch((e: unknown) => say(`could not drop the bench database: ${(e as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface TargetSpec {
  target: TargetResult['target'];
  mix: Mix;
  path: DbPath;
  url: string;
  /** A baseline server's own counters (cumulative; the run's share is the difference). */
  stats?: () => Promise<Record<string, number>>;
  /** The database latency at both proxies. */
  setDelay: (ms: number) => void;
}

/**
 * One target: a clean slate, a warm-up, the measured run, the backlog drained, counted and checked
 * against what was acked; then, with --db-latency, the unloaded probe at 0 and at the latency.
 */
async function runTarget(
  stack: Stack,
  db: pg.Client,
  options: Options,
  say: (line: string) => void,
  spec: TargetSpec,
): Promise<TargetResult> {
  const load = (durationSec: number, amount?: number) =>
    runLoadChild({
      url: spec.url,
      secret: SECRET,
      mix: spec.mix,
      connections: options.connections,
      durationSec,
      amount,
      trackIds: spec.target !== 'sdk-baseline',
    });
  const settle = () =>
    spec.stats ? drainServer(spec.stats, 30_000) : spec.target === 'worker' ? drain(db, 30_000) : Promise.resolve(true);
  if (options.warmupSec > 0) {
    await load(options.warmupSec);
    await settle();
  }
  await clean(stack, db);
  const statsBefore = (await spec.stats?.()) ?? {};
  const cpuBefore = cpuSnapshot();
  say(
    `  ${spec.target} (${spec.mix}${spec.target === 'sdk-baseline' ? '' : `, ${spec.path}`}): ${runLength(options)} at ${options.connections} connections ...`,
  );
  const loaded: LoadResult = await load(options.durationSec, options.amount);
  const drained = await settle();
  const cpuAfter = cpuSnapshot();

  const acked = loaded.statuses['200'] ?? 0;
  const non2xx = Object.entries(loaded.statuses)
    .filter(([code]) => !code.startsWith('2'))
    .reduce((s, [, n]) => s + n, 0);
  const lineCalls = stack.emulator.requests().length;
  const violations = stack.emulator.violations().length;
  const result: TargetResult = {
    target: spec.target,
    mix: spec.mix,
    path: spec.target === 'sdk-baseline' ? undefined : spec.path,
    durationSec: loaded.durationSec,
    requests: loaded.requests,
    acked,
    ackPerSec: acked / loaded.durationSec,
    latencyMs: loaded.latencyMs,
    errors: {
      non2xx,
      connection: loaded.errors,
      failedEvents: 0,
      lineViolations: violations,
      undrained: drained ? 0 : 1,
    },
    // The run and its drain: the Worker processes after the ack, the article before it.
    cpuMsPerAck: cpuMsPerAck(cpuBefore, cpuAfter, acked),
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
    ).rows[0] as {
      events: number;
      messages: number;
      done: number;
      failed: number;
      span: number | null;
      e2e: number[] | null;
    };
    const rt = stack.proxy!.counts();
    result.errors.failedEvents = s.failed;
    if (s.failed > 0) {
      // Say why, so a failed goal under load can be read from the run's own output.
      const why = (
        await db.query(
          `select event_type, status, last_error from line_webhook_events where status in ('failed', 'dead') limit 5`,
        )
      ).rows;
      console.error(
        `bench: ${s.failed} events failed (${spec.target} ${spec.mix} ${spec.path}): ${JSON.stringify(why)}`,
      );
    }
    result.persisted = s.done;
    result.persistedPerSec = s.span ? s.done / s.span : 0;
    result.e2eMs = { p50: s.e2e?.[0] ?? 0, p95: s.e2e?.[1] ?? 0, p99: s.e2e?.[2] ?? 0 };
    result.lineCalls = lineCalls;
    result.lineCallsPerEvent = lineCalls / Math.max(1, s.events);
    result.lineCallsPerMessage = spec.mix === 'group-text' ? lineCalls / Math.max(1, s.messages) : undefined;
    result.dbRoundTripsPerEvent = rt.query / Math.max(1, s.events);
    result.dbConnectionsPerRequest = rt.connections / Math.max(1, acked);
    result.dbHandshakeMessagesPerConnection = rt.handshake / Math.max(1, rt.connections);
    result.ackPath = ackPath(stack);
    result.integrity = await checkStored(db, stack, loaded, true);
  } else if (spec.target === 'article') {
    const s = (
      await db.query(
        `select count(*)::int as messages, extract(epoch from max(created_at) - min(created_at))::float8 as span from line_messages`,
      )
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
    result.integrity = await checkStored(db, stack, loaded, false);
  }

  // The slope: one connection, no load, so the latency is the path and not the queue.
  if (options.dbLatencyMs > 0 && spec.mix === 'group-text' && spec.target !== 'sdk-baseline') {
    say(`    unloaded probe at 0 and ${options.dbLatencyMs} ms, ${options.probeSec} s each ...`);
    const probe = async (ms: number) => {
      spec.setDelay(ms);
      stack.proxy!.resetCounts();
      const r = await probeLatency({ url: spec.url, secret: SECRET, mix: spec.mix, durationSec: options.probeSec });
      await settle();
      return r.p50;
    };
    const atZero = await probe(0);
    const atLatency = await probe(options.dbLatencyMs);
    result.probe = {
      dbLatencyMs: options.dbLatencyMs,
      ackP50AtZeroMs: atZero,
      ackP50AtLatencyMs: atLatency,
      slopeRoundTrips: (atLatency - atZero) / options.dbLatencyMs,
      ackPath: spec.target === 'worker' ? ackPath(stack) : undefined,
    };
    spec.setDelay(options.dbLatencyMs);
  }
  return result;
}

/** The traced acks since the last reset (WebSocket connections and HTTP requests): round trips and time to the inbox INSERT's answer. */
function ackPath(stack: Stack): AckPath | undefined {
  const paths = stack.proxy!.criticalPaths();
  if (paths.length === 0) return undefined;
  const trips = paths.map((p) => p.roundTrips).sort((a, b) => a - b);
  const ms = paths.map((p) => p.ms).sort((a, b) => a - b);
  const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  return {
    connections: paths.filter((p) => !p.http).length,
    http: paths.filter((p) => p.http).length,
    roundTrips: { p50: at(trips, 0.5), p95: at(trips, 0.95), max: trips.at(-1)! },
    ms: { p50: at(ms, 0.5), p95: at(ms, 0.95), p99: at(ms, 0.99) },
  };
}

/**
 * Every acknowledged event must be stored, once: ours in the inbox (and its message in
 * line_messages once processed), the article's in line_messages. Reply tokens used twice (the
 * emulator refuses the second) would be doubled effects.
 */
async function checkStored(db: pg.Client, stack: Stack, loaded: LoadResult, inbox: boolean): Promise<Integrity> {
  const one = async (sql: string, params: unknown[] = []) =>
    (await db.query(sql, params)).rows[0] as Record<string, number>;
  const messages = await one(
    `select count(distinct message_id) filter (where message_id = any($1::text[]))::int as stored, (count(*) - count(distinct message_id))::int as doubled
       from line_messages where not is_from_bot`,
    [loaded.ackedMessageIds],
  );
  const events = inbox
    ? await one(
        `select count(distinct webhook_event_id) filter (where webhook_event_id = any($1::text[]))::int as stored, (count(*) - count(distinct webhook_event_id))::int as doubled
           from line_webhook_events`,
        [loaded.ackedEventIds],
      )
    : undefined;
  const repliesTwice = stack.emulator
    .requests()
    .filter((r) => r.path === '/v2/bot/message/reply' && r.status === 400).length;
  const acked = loaded.ackedEventIds.length;
  return {
    built: loaded.built,
    acked,
    ackedInInbox: events?.stored,
    lost: events ? acked - events.stored! : loaded.ackedMessageIds.length - messages.stored!,
    ackedMessages: loaded.ackedMessageIds.length,
    messagesStored: messages.stored!,
    messagesMissing: events ? loaded.ackedMessageIds.length - messages.stored! : 0,
    doubled: messages.doubled! + (events?.doubled ?? 0) + repliesTwice,
  };
}

/** Truncates every table the migrations made, and zeroes the counters. */
async function clean(stack: Stack, db: pg.Client): Promise<void> {
  const tables = (await db.query(`select tablename from pg_tables where schemaname = 'public'`)).rows.map(
    (r) => `"${r.tablename as string}"`,
  );
  if (tables.length > 0) await db.query(`truncate ${tables.join(', ')} restart identity cascade`);
  stack.emulator.reset();
  stack.claude?.reset();
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
