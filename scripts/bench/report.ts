/** The bench's results: their shape (also the `--json` output), ratios, and the printed tables. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import type { Mix } from './workload.ts';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface TargetResult {
  target: 'worker' | 'sdk-baseline' | 'article';
  mix: Mix;
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
  dbRoundTripsPerEvent?: number;
  dbConnectionsPerRequest?: number;
  dbHandshakeRoundTripsPerConnection?: number;
  errors: { non2xx: number; connection: number; failedEvents: number; lineViolations: number; undrained: number };
}

export interface BenchReport {
  machine: Record<string, string | number>;
  database: string;
  config: { durationSec: number; warmupSec: number; connections: number; eventsPerRequest: number; lineLatencyMs: number };
  results: TargetResult[];
  ratios: Record<string, number | null>;
}

export const errorCount = (r: TargetResult) => Object.values(r.errors).reduce((s, n) => s + n, 0);

export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  let workerd = '?';
  try {
    workerd = (JSON.parse(readFileSync(require.resolve('workerd/package.json'), 'utf8')) as { version: string }).version;
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

const find = (results: TargetResult[], target: TargetResult['target'], mix: Mix) => results.find((r) => r.target === target && r.mix === mix);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b !== 0 ? a / b : null);

/** Ratios are what to compare across runs: this machine is noisy, both sides share its noise. */
export function ratios(results: TargetResult[]): Record<string, number | null> {
  const ours = find(results, 'worker', 'mixed');
  const sdk = find(results, 'sdk-baseline', 'mixed');
  const oursText = find(results, 'worker', 'group-text');
  const article = find(results, 'article', 'group-text');
  return {
    ackPerSecOursOverSdk: ratio(ours?.ackPerSec, sdk?.ackPerSec),
    ackP50OursOverSdk: ratio(ours?.latencyMs.p50, sdk?.latencyMs.p50),
    ackP99OursOverSdk: ratio(ours?.latencyMs.p99, sdk?.latencyMs.p99),
    lineCallsPerMessageArticleOverOurs: ratio(article?.lineCallsPerMessage, oursText?.lineCallsPerMessage),
    dbRoundTripsPerMessageArticleOverOurs: ratio(article?.dbRoundTripsPerEvent, oursText?.dbRoundTripsPerEvent),
    ackPerSecOursOverArticle: ratio(oursText?.ackPerSec, article?.ackPerSec),
    ackP50ArticleOverOurs: ratio(article?.latencyMs.p50, oursText?.latencyMs.p50),
    persistedPerSecOursOverArticle: ratio(oursText?.persistedPerSec, article?.persistedPerSec),
  };
}

const n0 = (x: number | undefined) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
const n2 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2));
const pct = (p: Percentiles | undefined) => (p ? `${n1(p.p50)} / ${n1(p.p95)} / ${n1(p.p99)}` : '—');
const x = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`);

function table(title: [string, string, string, string], rows: Array<[string, string, string, string]>): string {
  const all = [title, ...rows];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  return [line(title), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatReport(report: BenchReport): string {
  const { results, ratios: r, machine: m, config } = report;
  const out: string[] = [];
  out.push(`machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, workerd ${m.workerd}`);
  out.push(`database: ${report.database}`);
  out.push(`load: ${config.connections} connections, ${config.durationSec} s per target after ${config.warmupSec} s warm-up, one signed event per request`);
  out.push(`LINE API latency: ${config.lineLatencyMs > 0 ? `${config.lineLatencyMs} ms added to every call (modelling api.line.me)` : 'none (the local emulator answers at once)'}`);

  const ours = find(results, 'worker', 'mixed');
  const sdk = find(results, 'sdk-baseline', 'mixed');
  if (ours || sdk) {
    out.push('', 'Mixed events (group chatter, media, 1:1, follows, member changes, unsend ...)');
    out.push(
      table(
        ['', 'ours (Worker)', '@line/bot-sdk middleware', 'ours / SDK'],
        [
          ['acks/s', n0(ours?.ackPerSec), n0(sdk?.ackPerSec), x(r.ackPerSecOursOverSdk)],
          ['ack latency p50 / p95 / p99 ms', pct(ours?.latencyMs), pct(sdk?.latencyMs), `${x(r.ackP50OursOverSdk)} / ${x(r.ackP99OursOverSdk)} (p50/p99)`],
          ['events persisted/s (received to done)', n0(ours?.persistedPerSec), 'stores nothing', ''],
          ['received to done p50 / p95 / p99 ms', pct(ours?.e2eMs), '', ''],
          ['LINE API calls / event', n2(ours?.lineCallsPerEvent), '0', ''],
          ['DB round trips / event', n2(ours?.dbRoundTripsPerEvent), '0', ''],
          ['DB connections / request (handshake round trips each)', ours ? `${n2(ours.dbConnectionsPerRequest)} (${n1(ours.dbHandshakeRoundTripsPerConnection)})` : '—', '0', ''],
          ['errors', ours ? String(errorCount(ours)) : '—', sdk ? String(errorCount(sdk)) : '—', ''],
        ],
      ),
    );
  }

  const oursText = find(results, 'worker', 'group-text');
  const article = find(results, 'article', 'group-text');
  if (oursText || article) {
    out.push('', 'Group text messages only: cost per group message');
    out.push(
      table(
        ['', 'ours (Worker)', "seed article's approach", 'article / ours'],
        [
          ['LINE API calls / group message', n2(oursText?.lineCallsPerMessage), n2(article?.lineCallsPerMessage), x(r.lineCallsPerMessageArticleOverOurs)],
          ['DB round trips / group message', n2(oursText?.dbRoundTripsPerEvent), n2(article?.dbRoundTripsPerEvent), x(r.dbRoundTripsPerMessageArticleOverOurs)],
          ['acks/s', n0(oursText?.ackPerSec), n0(article?.ackPerSec), x(r.ackPerSecOursOverArticle === null ? null : 1 / r.ackPerSecOursOverArticle!)],
          ['ack latency p50 / p95 / p99 ms', pct(oursText?.latencyMs), pct(article?.latencyMs), x(r.ackP50ArticleOverOurs)],
          ['messages persisted/s', n0(oursText?.persistedPerSec), n0(article?.persistedPerSec), x(r.persistedPerSecOursOverArticle === null ? null : 1 / r.persistedPerSecOursOverArticle!)],
          ['errors', oursText ? String(errorCount(oursText)) : '—', article ? String(errorCount(article)) : '—', ''],
        ],
      ),
    );
    if (!config.lineLatencyMs) {
      out.push(
        "The article's LINE calls go to the local emulator here; against api.line.me each is a network round trip",
        '(tens of ms), paid before it answers LINE: --line-latency <ms> models that.',
      );
    }
  }
  return out.join('\n');
}
