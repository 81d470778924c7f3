/**
 * What the job tells its operator. On a terminal: one readable line per file and a live progress
 * line (files done, bytes, rate). Otherwise (systemd, pipes): one JSON object per line, one per
 * file and per notable event, ready for journald or a log shipper. Never a token.
 */
import { formatBytes } from './bytes.ts';
import type { StatusCounts } from './claim.ts';
import { CAP_TIME_ZONE } from './daily-cap.ts';
import type { ShareCounts } from './index/index.ts';
import type { RemovalResult } from './remove.ts';

export type FileOutcome =
  /** On the NAS, row updated. */
  | 'synced'
  /** 202: LINE is still preparing it; tried again later. */
  | 'preparing'
  /** 404 / 410: final. */
  | 'unavailable'
  /** A failure; tried again after a backoff. */
  | 'retry'
  /** The last allowed failure: marked failed. */
  | 'failed'
  /** Its sender reached the daily cap (NAS_SYNC_DAILY_BYTES_PER_USER): waits for the next Taipei day. */
  | 'daily_limit'
  /** Unsent while downloading: the download was discarded. */
  | 'discarded'
  /** Another job took the row over (this one stalled past its lease): its result was not recorded. */
  | 'claim_lost'
  /** Shutdown: the claim was given back for the next run. */
  | 'released';

export interface FileEvent {
  messageId: string;
  fileType: string;
  outcome: FileOutcome;
  nasPath?: string;
  bytes?: number;
  sha256?: string;
  mimeType?: string | null;
  /** HTTP status of LINE's answer, when there was one. */
  status?: number;
  error?: string;
  attempts?: number;
  /** When the row is due again (preparing, retry, daily_limit). */
  retryInMs?: number;
  ms: number;
}

export type Level = 'info' | 'warn' | 'error';

export interface Reporter {
  file(event: FileEvent): void;
  removal(result: RemovalResult): void;
  /** Bytes written just now (progress and rate). */
  bytes(n: number): void;
  /** A download started (for the count of active downloads). */
  started(messageId: string): void;
  log(level: Level, event: string, fields?: Record<string, unknown>): void;
  close(): void;
}

/** A reporter that says nothing (tests pass their own partial reporters on top of it). */
export function quietReporter(overrides: Partial<Reporter> = {}): Reporter {
  return { file() {}, removal() {}, bytes() {}, started() {}, log() {}, close() {}, ...overrides };
}

export function createReporter(options: {
  tty: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}): Reporter {
  const out = options.out ?? process.stdout;
  return options.tty ? ttyReporter(out as NodeJS.WriteStream) : jsonReporter(out, options.err ?? process.stderr);
}

export function jsonReporter(out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Reporter {
  const write = (level: Level, event: string, fields: Record<string, unknown>) =>
    (level === 'info' ? out : err).write(
      `${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`,
    );
  return {
    file(e) {
      const level: Level =
        e.outcome === 'failed'
          ? 'error'
          : e.outcome === 'retry' || e.outcome === 'claim_lost' || e.outcome === 'daily_limit'
            ? 'warn'
            : 'info';
      write(level, 'nas_sync.file', { ...e });
    },
    removal(r) {
      write(r.error ? 'error' : 'info', 'nas_sync.removed', { ...r });
    },
    bytes() {},
    started() {},
    log(level, event, fields = {}) {
      write(level, event, fields);
    },
    close() {},
  };
}

function ttyReporter(out: NodeJS.WriteStream): Reporter {
  const counts: Record<FileOutcome, number> = {
    synced: 0,
    preparing: 0,
    unavailable: 0,
    retry: 0,
    failed: 0,
    daily_limit: 0,
    discarded: 0,
    claim_lost: 0,
    released: 0,
  };
  let active = 0;
  let removed = 0;
  let totalBytes = 0;
  const samples: { at: number; bytes: number }[] = [];
  let shown = false;

  const rate = (): number => {
    const now = Date.now();
    while (samples.length > 1 && now - samples[0]!.at > 5_000) samples.shift();
    const first = samples[0];
    if (!first || now - first.at < 200) return 0;
    return ((totalBytes - first.bytes) * 1000) / (now - first.at);
  };
  const line = (): string =>
    `nas-sync: ${counts.synced} synced, ${active} active, ${counts.preparing} not ready, ` +
    `${counts.retry} retrying, ${counts.failed} failed, ${counts.daily_limit} over the daily limit, ` +
    `${counts.unavailable} unavailable, ${removed} removed | ` +
    `${formatBytes(totalBytes)} at ${formatBytes(rate())}/s`;
  const draw = () => {
    out.write(`\r\x1b[2K${line().slice(0, Math.max(20, (out.columns || 120) - 1))}`);
    shown = true;
  };
  const print = (text: string) => {
    out.write(`${shown ? '\r\x1b[2K' : ''}${text}\n`);
    draw();
  };
  const timer = setInterval(() => {
    samples.push({ at: Date.now(), bytes: totalBytes });
    draw();
  }, 250);
  timer.unref();

  const time = () => new Date().toTimeString().slice(0, 8);
  return {
    file(e) {
      counts[e.outcome]++;
      active = Math.max(0, active - 1);
      const detail =
        e.outcome === 'synced'
          ? `-> ${e.nasPath} (${formatBytes(e.bytes ?? 0)}, ${e.ms} ms)`
          : [e.error, e.retryInMs !== undefined ? `next try in ${Math.round(e.retryInMs / 1000)} s` : '']
              .filter(Boolean)
              .join('; ');
      print(`${time()} ${e.outcome.padEnd(11)} ${e.fileType.padEnd(5)} ${e.messageId} ${detail}`);
    },
    removal(r) {
      if (!r.error) removed++;
      print(
        `${time()} ${r.error ? 'remove-fail' : 'removed'.padEnd(11)} ${r.messageId} ${r.nasPath ?? '(no NAS copy)'}${r.error ? ` ${r.error}` : ''}`,
      );
    },
    bytes(n) {
      totalBytes += n;
    },
    started() {
      active++;
    },
    log(level, event, fields = {}) {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      print(`${time()} ${level === 'info' ? '' : `${level.toUpperCase()} `}${event} ${rest}`);
    },
    close() {
      clearInterval(timer);
      if (shown) {
        draw();
        out.write('\n');
      }
    },
  };
}

// ------------------------------------------------------------------------------------------
// --status

export function formatStatus(c: StatusCounts): string {
  const age = c.oldestWaitingSeconds === null ? '' : `, oldest ${formatAge(c.oldestWaitingSeconds)}`;
  return (
    [
      `waiting          ${c.waiting} (due now ${c.due}, in progress ${c.inProgress}, retrying ${c.retrying}${age})`,
      `daily limit      ${c.dailyLimited} waiting for 00:00 ${CAP_TIME_ZONE} (their sender reached NAS_SYNC_DAILY_BYTES_PER_USER today)`,
      `failed           ${c.failed}`,
      `unavailable      ${c.unavailable}`,
      `synced           ${c.synced}`,
      `removed          ${c.removed}`,
      `removal pending  ${c.removalPending}`,
    ].join('\n') + '\n'
  );
}

/** Indexed files per share; the time is that of the last row a walk wrote (walks log their own). */
export function formatIndex(shares: ShareCounts[]): string {
  if (shares.length === 0) return '';
  return (
    shares
      .map(
        (s) =>
          `index ${s.share.padEnd(10)} ${s.files} files, ${formatBytes(s.bytes)}, last change ${s.lastChangeAt?.toISOString() ?? '-'}`,
      )
      .join('\n') + '\n'
  );
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
