/** The bench's results: their shape (also the `--json` output), ratios, goals, and the printed tables. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import type { Mix } from './workload.ts';
import type { AiResult } from './ai.ts';
import type { CpuGroup } from './cpu.ts';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** How a target reaches Postgres: straight in (trust, no pipelining) or through PgBouncer (password, pipelined). */
export type DbPath = 'direct' | 'pooled';

/**
 * Each acknowledgement's way to the inbox INSERT's answer, measured at the WebSocket proxy and its
 * `/sql` endpoint: over a WebSocket (a connection per request) or over HTTP (one statement, no connection).
 */
export interface AckPath {
  /** Acks whose INSERT went over a WebSocket connection. */
  connections: number;
  /** Acks whose INSERT went over HTTP (a known member's group chatter, stored at intake). */
  http: number;
  /** Round trips up to the INSERT's answer, the WebSocket open counted as one; an HTTP request is one. */
  roundTrips: { p50: number; p95: number; max: number };
  /** Upgrade request (or HTTP request) to the INSERT's answer handed to the Worker. */
  ms: Percentiles;
}

/** With --db-latency: one connection, no load, the ack's p50 at 0 ms and at the latency. */
export interface LatencyProbe {
  dbLatencyMs: number;
  ackP50AtZeroMs: number;
  ackP50AtLatencyMs: number;
  /** (p50 at L - p50 at 0) / L: the round trips the ack waits on, read from its latency. */
  slopeRoundTrips: number;
  /** Our Worker: the round trips counted on the wire during the probe at L. */
  ackPath?: AckPath;
}

/** What was sent against what is stored, after the backlog drained. */
export interface Integrity {
  built: number;
  acked: number;
  /** Acknowledged events in the inbox (our Worker; the article has none). */
  ackedInInbox?: number;
  /** Acknowledged and not stored: not in the inbox (ours), no line_messages row (the article). */
  lost: number;
  ackedMessages: number;
  /** Acknowledged message events with their line_messages row. */
  messagesStored: number;
  /** Ours: acknowledged messages in the inbox without their row (still failing or retried later). */
  messagesMissing: number;
  /** Rows for one event or message more than once, and reply tokens used twice. */
  doubled: number;
}

export interface TargetResult {
  target: 'worker' | 'sdk-baseline' | 'article';
  mix: Mix;
  /** Absent for the SDK baseline, which stores nothing. */
  path?: DbPath;
  durationSec: number;
  requests: number;
  /** 200 answers (one event per request). */
  acked: number;
  ackPerSec: number;
  latencyMs: Percentiles & { mean: number; max: number };
  /** Events that reached their end state (the Worker: inbox `done`; the article: rows in line_messages). */
  persisted?: number;
  /** Received to done, end to end, over the run and its drain. */
  persistedPerSec?: number;
  /** Inbox received_at -> processed_at (the Worker). */
  e2eMs?: Percentiles;
  lineCalls?: number;
  lineCallsPerEvent?: number;
  /** Group-text runs only: every event is a group message. */
  lineCallsPerMessage?: number;
  /** Batches sent (one per Sync or Query, or HTTP request): round trips, unless pipelined with the login. */
  dbRoundTripsPerEvent?: number;
  dbConnectionsPerRequest?: number;
  /** Startup and password messages per connection (pipelined, they share one flight). */
  dbHandshakeMessagesPerConnection?: number;
  ackPath?: AckPath;
  /** CPU ms per acknowledged event over the run and its drain, by process (scripts/bench/cpu.ts; Linux only). */
  cpuMsPerAck?: Partial<Record<CpuGroup, number>>;
  probe?: LatencyProbe;
  integrity?: Integrity;
  errors: { non2xx: number; connection: number; failedEvents: number; lineViolations: number; undrained: number };
}

export interface Goal {
  goal: string;
  /** null: not measured in this run. */
  met: boolean | null;
  detail: string;
}

export interface BenchReport {
  machine: Record<string, string | number>;
  database: string;
  /** What each path that ran goes through. */
  paths: Partial<Record<DbPath, string>>;
  /** Paths that did not run, and why. */
  skipped: Array<{ path: DbPath; reason: string }>;
  config: {
    durationSec: number;
    /** Requests per target instead of a duration (smoke). */
    amount?: number;
    warmupSec: number;
    connections: number;
    eventsPerRequest: number;
    lineLatencyMs: number;
    dbLatencyMs: number;
  };
  results: TargetResult[];
  /** `--rounds`: group text, ours and the article alternating (the first round is also in `results`). */
  rounds?: Round[];
  /** The AI scenario (`--only ai`), once per path, when it ran. */
  ai?: AiResult[];
  ratios: Record<string, number | null>;
  goals: Goal[];
}

const errorCount = (r: TargetResult) => Object.values(r.errors).reduce((s, n) => s + n, 0);

export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  let workerd = '?';
  try {
    workerd = (JSON.parse(readFileSync(require.resolve('workerd/package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    /* unknown */
  }
  return {
    cpu: cpus[0]?.model.trim() ?? '?',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    workerd,
  };
}

const find = (results: TargetResult[], target: TargetResult['target'], mix: Mix, path?: DbPath) =>
  results.find((r) => r.target === target && r.mix === mix && (target === 'sdk-baseline' || r.path === path));
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b !== 0 ? a / b : null;

/** Ratios are what to compare across runs: this machine is noisy, both sides share its noise. */
export function ratios(results: TargetResult[]): Record<string, number | null> {
  const sdk = find(results, 'sdk-baseline', 'mixed');
  const out: Record<string, number | null> = {};
  for (const path of ['direct', 'pooled'] as const) {
    // The direct path keeps the names these had before there were two paths.
    const suffix = path === 'direct' ? '' : 'Pooled';
    const ours = find(results, 'worker', 'mixed', path);
    const oursText = find(results, 'worker', 'group-text', path);
    const article = find(results, 'article', 'group-text', path);
    Object.assign(out, {
      [`ackPerSecOursOverSdk${suffix}`]: ratio(ours?.ackPerSec, sdk?.ackPerSec),
      [`ackP50OursOverSdk${suffix}`]: ratio(ours?.latencyMs.p50, sdk?.latencyMs.p50),
      [`ackP99OursOverSdk${suffix}`]: ratio(ours?.latencyMs.p99, sdk?.latencyMs.p99),
      [`lineCallsPerMessageArticleOverOurs${suffix}`]: ratio(
        article?.lineCallsPerMessage,
        oursText?.lineCallsPerMessage,
      ),
      [`dbRoundTripsPerMessageArticleOverOurs${suffix}`]: ratio(
        article?.dbRoundTripsPerEvent,
        oursText?.dbRoundTripsPerEvent,
      ),
      [`ackPerSecOursOverArticle${suffix}`]: ratio(oursText?.ackPerSec, article?.ackPerSec),
      [`ackP50ArticleOverOurs${suffix}`]: ratio(article?.latencyMs.p50, oursText?.latencyMs.p50),
      [`persistedPerSecOursOverArticle${suffix}`]: ratio(oursText?.persistedPerSec, article?.persistedPerSec),
    });
  }
  return out;
}

/** One round of `--rounds`: the group-text pair on one path, and which of the two ran first. */
export interface Round {
  path: DbPath;
  round: number;
  first: 'ours' | 'article';
  oursAckPerSec: number;
  articleAckPerSec: number;
  ratio: number | null;
  /** CPU ms per acknowledged event by process (scripts/bench/cpu.ts). */
  oursCpu?: Partial<Record<CpuGroup, number>>;
  articleCpu?: Partial<Record<CpuGroup, number>>;
}

/** CPU ms per acknowledged event, all the processes counted. */
const cpuTotal = (byGroup: Partial<Record<CpuGroup, number>> | undefined) =>
  byGroup ? Object.values(byGroup).reduce((a, b) => a + b, 0) : undefined;

export function roundOf(
  path: DbPath,
  round: number,
  first: Round['first'],
  ours: TargetResult,
  article: TargetResult,
): Round {
  return {
    path,
    round,
    first,
    oursAckPerSec: ours.ackPerSec,
    articleAckPerSec: article.ackPerSec,
    ratio: ratio(ours.ackPerSec, article.ackPerSec),
    oursCpu: ours.cpuMsPerAck,
    articleCpu: article.cpuMsPerAck,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The issue's goals, judged on this run's figures (the ack throughput on the median round, with --rounds). */
export function goals(results: TargetResult[], rounds: Round[] = []): Goal[] {
  const ours = find(results, 'worker', 'group-text', 'pooled');
  const article = find(results, 'article', 'group-text', 'pooled');
  const pooledRounds = rounds.filter((r) => r.path === 'pooled' && r.ratio !== null).map((r) => r.ratio!);
  const throughput: Goal = {
    goal: "ack throughput through the pooler at least the article approach's",
    met: pooledRounds.length ? median(pooledRounds) >= 1 : ours && article ? ours.ackPerSec >= article.ackPerSec : null,
    detail: pooledRounds.length
      ? `group text, both through PgBouncer, ${pooledRounds.length} alternating rounds: median ours/article ${x(median(pooledRounds))}, ${pooledRounds.filter((r) => r >= 1).length} of ${pooledRounds.length} rounds at or above 1 (${pooledRounds.map((r) => r.toFixed(2)).join(', ')})`
      : ours && article
        ? `group text, both through PgBouncer: ours ${n0(ours.ackPerSec)} acks/s, article ${n0(article.ackPerSec)}`
        : 'this run has no pooled run of both',
  };

  // The unloaded probe at a real latency is the clean count; under load without latency an
  // answer can slip in before a message the client was about to send anyway.
  const pooled = [ours, find(results, 'worker', 'mixed', 'pooled')].filter((r) => r !== undefined);
  const probed = pooled.find((r) => r.probe?.ackPath);
  const measured = probed?.probe?.ackPath ?? pooled.find((r) => r.ackPath)?.ackPath;
  const slope = probed?.probe;
  const roundTrips: Goal = {
    goal: 'the ack waits on at most 3 database round trips, connection included, with pipelining',
    met: measured ? measured.roundTrips.p95 <= 3 : null,
    detail: measured
      ? `pooled, counted on the wire${probed ? `, one connection at ${slope!.dbLatencyMs} ms` : ' under load'}: p50 ${n1(measured.roundTrips.p50)}, p95 ${n1(measured.roundTrips.p95)}, max ${measured.roundTrips.max}` +
        (slope ? `; latency slope ${n1(slope.slopeRoundTrips)}` : '; run with --db-latency for the slope')
      : 'this run has no pooled run of our Worker',
  };

  const checked = results.filter((r) => r.integrity);
  const bad = checked.filter(
    (r) => r.integrity!.lost + r.integrity!.messagesMissing + r.integrity!.doubled + r.errors.failedEvents > 0,
  );
  const integrity: Goal = {
    goal: 'nothing lost or doubled under load',
    met: checked.length ? bad.length === 0 : null,
    detail: checked.length
      ? bad.length === 0
        ? `${checked.length} runs: every acknowledged event stored once (${checked.reduce((s, r) => s + r.integrity!.acked, 0).toLocaleString('en-US')} acks)`
        : bad
            .map(
              (r) =>
                `${label(r)}: ${r.integrity!.lost} lost, ${r.integrity!.messagesMissing} messages missing, ${r.integrity!.doubled} doubled, ${r.errors.failedEvents} failed`,
            )
            .join('; ')
      : 'this run stored nothing',
  };
  return [throughput, roundTrips, integrity];
}

const n0 = (x: number | undefined) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
const n2 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2));
const pct = (p: Percentiles | undefined) => (p ? `${n1(p.p50)} / ${n1(p.p95)} / ${n1(p.p99)}` : '—');
const x = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`);
const label = (r: TargetResult) =>
  `${r.target === 'worker' ? 'ours' : r.target === 'article' ? 'article' : 'SDK'} ${r.mix}${r.path ? `, ${r.path}` : ''}`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

/** How long each target's measured run is: a count of requests (smoke) or a duration. */
export function runLength(config: Pick<BenchReport['config'], 'durationSec' | 'amount'>): string {
  return config.amount ? `${config.amount} requests` : `${config.durationSec} s`;
}

export function formatReport(report: BenchReport): string {
  const { results, ratios: r, machine: m, config } = report;
  const out: string[] = [];
  out.push(`machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, workerd ${m.workerd}`);
  out.push(`database: ${report.database}`);
  for (const [path, what] of Object.entries(report.paths)) out.push(`${path}: ${what}`);
  for (const s of report.skipped) out.push(`${s.path}: SKIPPED, ${s.reason}`);
  if (results.length)
    out.push(
      `load: ${config.connections} connections, ${runLength(config)} per target after ${config.warmupSec} s warm-up, one signed event per request`,
    );
  out.push(
    `LINE API latency: ${config.lineLatencyMs > 0 ? `${config.lineLatencyMs} ms added to every call (modelling api.line.me)` : 'none (the local emulator answers at once)'}`,
  );
  out.push(
    `database latency: ${config.dbLatencyMs > 0 ? `${config.dbLatencyMs} ms per round trip at the proxies, connection open included (modelling the edge to Neon's region)` : 'none (--db-latency <ms> models the distance to Neon)'}`,
  );

  const paths = (['direct', 'pooled'] as const).filter((p) => results.some((x) => x.path === p));
  const mixed = [
    ...paths.map((p) => find(results, 'worker', 'mixed', p)),
    find(results, 'sdk-baseline', 'mixed'),
  ].filter((x) => x !== undefined);
  if (mixed.length) {
    out.push('', 'Mixed events (group chatter, media, 1:1, follows, member changes, unsend ...)');
    const row = (name: string, f: (x: TargetResult) => string) => [name, ...mixed.map((x) => f(x))];
    const worker = (f: (x: TargetResult) => string) => (x: TargetResult) => (x.target === 'worker' ? f(x) : '');
    out.push(
      table([
        ['', ...mixed.map((x) => (x.target === 'worker' ? `ours, ${x.path}` : '@line/bot-sdk middleware'))],
        row('acks/s', (x) => n0(x.ackPerSec)),
        row('ack latency p50 / p95 / p99 ms', (x) => pct(x.latencyMs)),
        row('events persisted/s (received to done)', (x) =>
          x.target === 'worker' ? n0(x.persistedPerSec) : 'stores nothing',
        ),
        row(
          'received to done p50 / p95 / p99 ms',
          worker((x) => pct(x.e2eMs)),
        ),
        row(
          'LINE API calls / event',
          worker((x) => n2(x.lineCallsPerEvent)),
        ),
        row(
          'DB batches / event (Sync, Query or HTTP request)',
          worker((x) => n2(x.dbRoundTripsPerEvent)),
        ),
        row(
          'DB connections / request (login messages each)',
          worker((x) => `${n2(x.dbConnectionsPerRequest)} (${n1(x.dbHandshakeMessagesPerConnection)})`),
        ),
        row('errors', (x) => String(errorCount(x))),
      ]),
    );
    for (const p of paths)
      if (r[`ackPerSecOursOverSdk${p === 'direct' ? '' : 'Pooled'}`] != null)
        out.push(`ours / SDK acks/s, ${p}: ${x(r[`ackPerSecOursOverSdk${p === 'direct' ? '' : 'Pooled'}`])}`);
  }

  const text = paths
    .flatMap((p) => [find(results, 'worker', 'group-text', p), find(results, 'article', 'group-text', p)])
    .filter((x) => x !== undefined);
  if (text.length) {
    out.push('', 'Group text messages only: cost per group message');
    const row = (name: string, f: (x: TargetResult) => string) => [name, ...text.map((x) => f(x))];
    out.push(
      table([
        ['', ...text.map((x) => `${x.target === 'worker' ? 'ours' : 'article'}, ${x.path}`)],
        row('LINE API calls / group message', (x) => n2(x.lineCallsPerMessage)),
        row('DB batches / group message', (x) => n2(x.dbRoundTripsPerEvent)),
        row('acks/s', (x) => n0(x.ackPerSec)),
        row('ack latency p50 / p95 / p99 ms', (x) => pct(x.latencyMs)),
        row('messages persisted/s', (x) => n0(x.persistedPerSec)),
        row('errors', (x) => String(errorCount(x))),
      ]),
    );
    for (const p of paths) {
      const k = p === 'direct' ? '' : 'Pooled';
      if (r[`ackPerSecOursOverArticle${k}`] != null) {
        out.push(
          `ours / article, ${p}: acks/s ${x(r[`ackPerSecOursOverArticle${k}`])}, LINE calls ${x(r[`lineCallsPerMessageArticleOverOurs${k}`] == null ? null : 1 / r[`lineCallsPerMessageArticleOverOurs${k}`]!)}`,
        );
      }
    }
    if (!config.lineLatencyMs) {
      out.push(
        "The article's LINE calls go to the local emulator here; against api.line.me each is a network round trip",
        '(tens of ms), paid before it answers LINE: --line-latency <ms> models that.',
      );
    }
  }

  const traced = results.filter((x) => x.ackPath || x.probe);
  if (traced.length) {
    out.push('', "The ack's critical path: database round trips before the 200, connection setup included");
    const row = (name: string, f: (x: TargetResult) => string) => [name, ...traced.map((x) => f(x))];
    const rt = (a: AckPath | undefined) =>
      a ? `${n1(a.roundTrips.p50)} / ${n1(a.roundTrips.p95)} / ${a.roundTrips.max}` : '—';
    const L = config.dbLatencyMs;
    out.push(
      table([
        ['', ...traced.map(label)],
        row(`acks whose INSERT went over HTTP / over a WebSocket, under load`, (x) =>
          x.ackPath ? `${x.ackPath.http} / ${x.ackPath.connections}` : '—',
        ),
        row(`round trips to the INSERT's answer, under load p50 / p95 / max`, (x) => rt(x.ackPath)),
        row(`request (WebSocket open or HTTP) to the INSERT's answer p50 ms, under load`, (x) =>
          x.ackPath ? n1(x.ackPath.ms.p50) : '—',
        ),
        ...(L > 0
          ? [
              row(`one connection, no load: round trips counted at ${L} ms p50 / p95 / max`, (x) =>
                rt(x.probe?.ackPath),
              ),
              row(`one connection, no load: request to the INSERT's answer p50 ms at ${L} ms`, (x) =>
                x.probe?.ackPath ? n1(x.probe.ackPath.ms.p50) : '—',
              ),
              row(`one connection, no load: ack p50 ms at 0 / at ${L} ms`, (x) =>
                x.probe ? `${n1(x.probe.ackP50AtZeroMs)} / ${n1(x.probe.ackP50AtLatencyMs)}` : '—',
              ),
              row(`latency slope: (p50 at ${L} - p50 at 0) / ${L}`, (x) => n1(x.probe?.slopeRoundTrips)),
            ]
          : []),
      ]),
    );
    out.push(
      'Counted at the WebSocket proxy: a flight is what the Worker sends before it receives anything; the open (upgrade, 101) is one.',
      "A known member's group chatter is stored by one statement over HTTP (the proxy's /sql, as Neon's): one round trip, no connection.",
      "The article's pool keeps its connections open: its ack waits on one round trip per query (no count on the wire, the slope shows it).",
    );
    if (!L)
      out.push(
        'Without --db-latency an answer can arrive before a message the client was about to send anyway: the counts are upper bounds.',
      );
  }

  const withCpu = results.filter((x) => x.cpuMsPerAck);
  if (withCpu.length) {
    const groups = [...new Set(withCpu.flatMap((x) => Object.keys(x.cpuMsPerAck!)))] as CpuGroup[];
    out.push(
      '',
      'CPU ms per acknowledged event, the run and its drain (user + system, by process; postgres: its backends that lived through the run and its background workers)',
    );
    out.push(
      table([
        ['', ...groups, 'all'],
        ...withCpu.map((x) => [label(x), ...groups.map((g) => n2(x.cpuMsPerAck![g])), n2(cpuTotal(x.cpuMsPerAck))]),
      ]),
    );
  }

  if (report.rounds?.length) {
    out.push('', 'Alternating rounds, group text: ours and the article, the first of each pair swapping every round');
    out.push(
      table([
        ['', 'first', 'ours acks/s', 'article acks/s', 'ours / article', 'CPU ms/event ours', 'CPU ms/event article'],
        ...report.rounds.map((r) => [
          `${r.path} round ${r.round}`,
          r.first,
          n0(r.oursAckPerSec),
          n0(r.articleAckPerSec),
          x(r.ratio),
          n2(cpuTotal(r.oursCpu)),
          n2(cpuTotal(r.articleCpu)),
        ]),
      ]),
    );
  }

  const checked = results.filter((x) => x.integrity);
  if (checked.length) {
    out.push('', 'Sent against stored, after the backlog drained');
    out.push(
      table([
        ['', 'bodies built', 'acked', 'acked in the inbox', 'lost', 'acked messages', 'stored', 'missing', 'doubled'],
        ...checked.map((x) => {
          const i = x.integrity!;
          return [
            label(x),
            n0(i.built),
            n0(i.acked),
            i.ackedInInbox === undefined ? 'no inbox' : n0(i.ackedInInbox),
            n0(i.lost),
            n0(i.ackedMessages),
            n0(i.messagesStored),
            n0(i.messagesMissing),
            n0(i.doubled),
          ];
        }),
      ]),
    );
  }

  for (const a of report.ai ?? []) {
    out.push(
      '',
      `AI answers, 1:1 (issue 9), ${a.path}, AI_LATE_ANSWER=${a.lateAnswer}: ${a.questionsPerDelay} bound users per Claude delay, asking at once; reply window 50 s`,
    );
    const sec = (ms: number) => `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
    const row = (name: string, f: (d: AiResult['delays'][number]) => string) => [name, ...a.delays.map(f)];
    // Answers delivered on a tap waited for the user: the bot's own time after Claude is not measured on them.
    const untapped = (d: AiResult['delays'][number]) => d.byReply + d.byPush > 0;
    out.push(
      table([
        ['Claude answers after', ...a.delays.map((d) => sec(d.claudeDelayMs))],
        row('answers (answered / asked)', (d) => `${d.answered} / ${d.questions}`),
        row(
          'before Claude: webhook sent -> Claude request, p50 / p95 ms',
          (d) => `${n0(d.beforeClaudeMs.p50)} / ${n0(d.beforeClaudeMs.p95)}`,
        ),
        row("after Claude: Claude's answer -> LINE reply/push, p50 / p95 ms", (d) =>
          untapped(d) ? `${n0(d.afterClaudeMs.p50)} / ${n0(d.afterClaudeMs.p95)}` : '- (tapped)',
        ),
        row("the bot's own time (before + after, per answer), p50 / p95 ms", (d) =>
          untapped(d) ? `${n0(d.ownMs.p50)} / ${n0(d.ownMs.p95)}` : '- (tapped)',
        ),
        row(
          'webhook sent -> answer at LINE, p50 / p95 s',
          (d) => `${n1(d.totalMs.p50 / 1000)} / ${n1(d.totalMs.p95 / 1000)}`,
        ),
        row('sent by reply / by reply to a tap / by push', (d) => `${d.byReply} / ${d.byTap} / ${d.byPush}`),
        row(
          'share by reply / by push',
          (d) => `${Math.round(d.replyShare * 100)}% / ${Math.round(d.pushShare * 100)}%`,
        ),
        row('"still working" notices / taps', (d) => `${d.notices} / ${d.taps}`),
        row('sent twice / not sent', (d) => `${d.sentTwice} / ${d.notSent}`),
      ]),
    );
    out.push(
      `${a.claudeRequests} Claude requests; ${a.wallSec.toFixed(1)} s wall; errors: ${a.errors} webhook, ${a.lineViolations} LINE contract, ${a.claudeViolations} Claude contract`,
    );
  }

  out.push('', 'Goals (issue 12), this run:');
  for (const g of report.goals)
    out.push(`  [${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met'}] ${g.goal}: ${g.detail}`);
  return out.join('\n');
}
