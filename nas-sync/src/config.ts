/**
 * The nas-sync job's configuration: environment (the names the Worker uses too) and command line.
 * Every problem is reported at once, in words an operator can act on.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBinaryBytes } from './bytes.ts';
import { DAILY_BYTES_MAX, DAILY_BYTES_MIN, DEFAULT_DAILY_BYTES_PER_USER } from './daily-cap.ts';
import { isWithin, realPathAllowingMissing } from './fs.ts';
import { parseShares, type Share } from './index/shares.ts';
import { DEFAULT_TIME_ZONE, timeZoneProblem } from './paths.ts';
import { parseSendConfig, type SendSetup } from './send/config.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** 2: a setting is missing or wrong; 1: the settings are readable but unsafe together (refused). */
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

export type Command = 'sync' | 'status' | 'retry-failed' | 'help';

export interface CliConfig {
  command: Command;
  once: boolean;
  json: boolean;
  concurrency: number;
  pollIntervalMs: number;
  /** Wake on NOTIFY line_files_pending as well as polling (`--no-listen` turns it off). */
  listen: boolean;
  maxAttempts: number;
  databaseUrl: string;
  /** Empty for `--status` and `--retry-failed`, which never talk to LINE or touch the NAS. */
  channelAccessToken: string;
  dataApiBaseUrl: string;
  nasRoot: string;
  /** IANA zone of the media day folders (NAS_TIMEZONE). */
  timeZone: string;
  /** Company shares to index (NAS_SHARES); empty: no indexing. Checked on disk for `sync` only. */
  shares: Share[];
  /** Pause between full walks of the shares (`--index-interval HOURS`). */
  indexIntervalMs: number;
  /** Rescans of changed folders in between (`--rescan-interval MINUTES`); 0: none. */
  rescanIntervalMs: number;
  /** Serving send requests (WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES), or why not. */
  send: SendSetup;
  /** Media bytes copied per LINE sender per Asia/Taipei day (NAS_SYNC_DAILY_BYTES_PER_USER). */
  dailyBytesPerSender: number;
  /** Settings used other than as written (a value clamped into its range): logged at start. */
  warnings: string[];
}

export const DEFAULTS = {
  concurrency: 4,
  pollIntervalMs: 5_000,
  maxAttempts: 8,
  dataApiBaseUrl: 'https://api-data.line.me',
  indexIntervalHours: 6,
  rescanIntervalMinutes: 15,
};

export const USAGE = `Usage: npm run nas-sync -- [options]

Copies media LINE hosts (line_files rows without nas_path) onto the NAS under NAS_ROOT,
and deletes the NAS copy of unsent messages. With NAS_SHARES, also indexes the company shares
into nas_files (what /find searches): a full walk of every share at start and every
--index-interval hours, and a rescan of the folders that changed every --rescan-interval
minutes in between; each walk writes only what changed. Runs until stopped (SIGTERM / Ctrl-C),
or once.

Options:
  --once                   process what is due now and walk each share once, then exit
  --status                 print the counts of rows waiting, in progress, synced, failed,
                           unavailable and removed, and the indexed files per share, then
                           exit (with --json: one JSON object)
  --retry-failed           put rows marked failed back in the queue (attempts reset), then exit
  --concurrency N          parallel downloads (default ${DEFAULTS.concurrency})
  --poll-interval SECONDS  pause between polls when idle (default ${DEFAULTS.pollIntervalMs / 1000})
  --no-listen              do not LISTEN for new rows (NOTIFY line_files_pending); poll only
                           (a pooled, -pooler, endpoint delivers no notifications)
  --max-attempts N         failures before a row is marked failed (default ${DEFAULTS.maxAttempts})
  --index-interval HOURS   pause between full walks of the shares (default ${DEFAULTS.indexIntervalHours}; 0.01 to 720)
  --rescan-interval MIN    rescans between full walks (default ${DEFAULTS.rescanIntervalMinutes} minutes; 0 = none): only
                           folders whose mtime or ctime changed are listed, which finds new,
                           deleted and renamed files, not files rewritten in place (the next
                           full walk does). The job remembers folder times in memory: after a
                           restart the first walk is a full one
  --json                   JSON log lines even on a terminal
  -h, --help               this text

Environment:
  DATABASE_URL               Postgres URL of the Worker's database (add ?sslmode=require for Neon).
                             For Neon use the direct (unpooled) string, not the -pooler one the
                             Worker uses: LISTEN needs a session of its own, which transaction
                             pooling does not keep
  LINE_CHANNEL_ACCESS_TOKEN  bearer token for LINE's content API
  LINE_DATA_API_BASE_URL     default ${DEFAULTS.dataApiBaseUrl}
  NAS_ROOT                   absolute path of the mounted NAS folder to write under
  NAS_TIMEZONE               IANA time zone of the media day folders (default ${DEFAULT_TIME_ZONE})
  NAS_SHARES                 optional: company shares to index, name:path pairs separated by
                             commas: projects:/mnt/nas/projects,library:/mnt/nas/library
                             Names: 1-64 ASCII letters, digits, _ or - (unique ignoring case;
                             users see and type them). Paths: absolute folders, no commas.
                             The job only reads the shares (a read-only mount is enough).

  WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES
                             set all three to serve /send requests: the Worker's https URL, its
                             agent token, the shares (name:path,...) files are sent from
  NAS_SEND_MAX_BYTES         largest file sent (default 104857600)
  NAS_SYNC_DAILY_BYTES_PER_USER
                             media bytes copied per LINE sender per Asia/Taipei day (default
                             ${DEFAULT_DAILY_BYTES_PER_USER} = 1 GiB; ${DAILY_BYTES_MIN} to ${DAILY_BYTES_MAX}, a value outside is clamped
                             and logged). A file over it waits (pending, reason in sync_error,
                             counted in --status) and is copied after 00:00 Asia/Taipei

NAS_ROOT and the shares must not lie inside one another (compared with symlinks resolved): the
job refuses to start (exit status 1), else LINE media would be indexed and found by /find.

Indexing: a full walk lstats every file (no content is read) and compares it with nas_files:
new files are inserted, changed ones (size or mtime) updated, gone ones deleted. Skipped: hidden
names (leading dot: .DS_Store, .snapshot ...), ~$ Office lock and ~*.tmp files, @eaDir,
@Recycle, #recycle, #snapshot, Thumbs.db, desktop.ini, $RECYCLE.BIN, lost+found. Symlinks are
never followed (nor indexed). A folder that cannot be read is logged (nas_index.unreadable) and
its files keep their rows; so does every file of a share whose folder is empty (not mounted?).
One job walks a share at a time (a Postgres advisory lock); others skip it (nas_index.busy).
A failed walk (database or share away) is retried after 5 minutes. Log events: nas_index.
walk_started, progress (every 10 s), unreadable, share_empty, busy, walked (counts: files,
inserted, updated, deleted, kept, unreadable, ms), unconfigured_share (rows of a share no longer
in NAS_SHARES stay until deleted by hand). A walk holds the share's index in memory (a few
hundred bytes per file). Network: outbound only (Postgres, LINE, the Worker).
`;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        'retry-failed': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        'poll-interval': { type: 'string' },
        'no-listen': { type: 'boolean', default: false },
        'max-attempts': { type: 'string' },
        'index-interval': { type: 'string' },
        'rescan-interval': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${USAGE}`);
  }

  const problems: string[] = [];
  const command: Command = values.help ? 'help' : values.status ? 'status' : values['retry-failed'] ? 'retry-failed' : 'sync';
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return n;
  };
  const concurrency = int('concurrency', values.concurrency, DEFAULTS.concurrency, 1, 64);
  const pollSeconds = values['poll-interval'] === undefined ? NaN : Number(values['poll-interval']);
  let pollIntervalMs = DEFAULTS.pollIntervalMs;
  if (values['poll-interval'] !== undefined) {
    if (!Number.isFinite(pollSeconds) || pollSeconds < 0.1 || pollSeconds > 3600) {
      problems.push(`--poll-interval must be a number of seconds from 0.1 to 3600 (got ${JSON.stringify(values['poll-interval'])})`);
    } else pollIntervalMs = Math.round(pollSeconds * 1000);
  }
  const maxAttempts = int('max-attempts', values['max-attempts'], DEFAULTS.maxAttempts, 1, 1000);
  let indexIntervalMs = DEFAULTS.indexIntervalHours * 3600_000;
  if (values['index-interval'] !== undefined) {
    const hours = Number(values['index-interval']);
    if (!Number.isFinite(hours) || hours < 0.01 || hours > 720) {
      problems.push(`--index-interval must be a number of hours from 0.01 to 720 (got ${JSON.stringify(values['index-interval'])})`);
    } else indexIntervalMs = Math.round(hours * 3600_000);
  }
  let rescanIntervalMs = DEFAULTS.rescanIntervalMinutes * 60_000;
  if (values['rescan-interval'] !== undefined) {
    const minutes = Number(values['rescan-interval']);
    if (values['rescan-interval'].trim() === '' || !Number.isFinite(minutes) || (minutes !== 0 && (minutes < 0.1 || minutes > 1440))) {
      problems.push(`--rescan-interval must be 0 (off) or a number of minutes from 0.1 to 1440 (got ${JSON.stringify(values['rescan-interval'])})`);
    } else rescanIntervalMs = Math.round(minutes * 60_000);
  }

  const databaseUrl = env.DATABASE_URL?.trim() ?? '';
  const channelAccessToken = env.LINE_CHANNEL_ACCESS_TOKEN?.trim() ?? '';
  const dataApiBaseUrl = (env.LINE_DATA_API_BASE_URL?.trim() || DEFAULTS.dataApiBaseUrl).replace(/\/+$/, '');
  const nasRootRaw = env.NAS_ROOT?.trim() ?? '';
  let nasRoot = '';
  const timeZone = env.NAS_TIMEZONE?.trim() || DEFAULT_TIME_ZONE;
  let shares: Share[] = [];
  let send: SendSetup = { enabled: false, missing: [] };
  let dailyBytesPerSender = DEFAULT_DAILY_BYTES_PER_USER;
  const warnings: string[] = [];

  if (command !== 'help') {
    if (!databaseUrl) problems.push('DATABASE_URL is not set (the Postgres URL of the Worker\'s database)');
    else if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (command === 'sync') {
    if (!channelAccessToken) problems.push('LINE_CHANNEL_ACCESS_TOKEN is not set (the channel access token of the LINE Official Account)');
    try {
      const u = new URL(dataApiBaseUrl);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      problems.push(`LINE_DATA_API_BASE_URL is not an http(s) URL: ${JSON.stringify(dataApiBaseUrl)}`);
    }
    if (!nasRootRaw) problems.push('NAS_ROOT is not set (the absolute path of the mounted NAS folder)');
    else if (!isAbsolute(nasRootRaw)) problems.push(`NAS_ROOT must be an absolute path (got ${JSON.stringify(nasRootRaw)})`);
    else {
      nasRoot = resolve(nasRootRaw);
      try {
        if (!statSync(nasRoot).isDirectory()) problems.push(`NAS_ROOT is not a directory: ${nasRoot}`);
      } catch {
        problems.push(`NAS_ROOT does not exist (is the NAS mounted?): ${nasRoot}`);
      }
    }
    const zone = timeZoneProblem(timeZone);
    if (zone) problems.push(zone);
    const parsed = parseShares(env.NAS_SHARES);
    problems.push(...parsed.problems);
    shares = parsed.shares;
    send = parseSendConfig(env, problems, shares);
    dailyBytesPerSender = parseDailyBytes(env.NAS_SYNC_DAILY_BYTES_PER_USER, problems, warnings);
  }
  if (problems.length > 0) throw new ConfigError(`nas-sync: configuration problem${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);
  const overlaps = command === 'sync' ? overlapProblems(nasRoot, shares) : [];
  if (overlaps.length > 0) {
    throw new ConfigError(`nas-sync: refusing to start: NAS_ROOT and NAS_SHARES overlap:\n  - ${overlaps.join('\n  - ')}`, 1);
  }

  return {
    command,
    once: values.once,
    json: values.json,
    concurrency,
    pollIntervalMs,
    listen: !values['no-listen'],
    maxAttempts,
    databaseUrl,
    channelAccessToken,
    dataApiBaseUrl,
    nasRoot,
    timeZone,
    shares,
    indexIntervalMs,
    rescanIntervalMs,
    send,
    dailyBytesPerSender,
    warnings,
  };
}

/**
 * NAS_SYNC_DAILY_BYTES_PER_USER: a whole number of bytes. Out of range it is clamped to the
 * nearest bound and said so (a typo must not silently lift or tighten the cap); anything that is
 * not a number is a configuration problem, never the default in disguise.
 */
function parseDailyBytes(raw: string | undefined, problems: string[], warnings: string[]): number {
  const text = raw?.trim() ?? '';
  if (text === '') return DEFAULT_DAILY_BYTES_PER_USER;
  const n = Number(text);
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    problems.push(`NAS_SYNC_DAILY_BYTES_PER_USER must be a whole number of bytes, e.g. ${DEFAULT_DAILY_BYTES_PER_USER} for 1 GiB (got ${JSON.stringify(text)})`);
    return DEFAULT_DAILY_BYTES_PER_USER;
  }
  const clamped = Math.min(DAILY_BYTES_MAX, Math.max(DAILY_BYTES_MIN, n));
  if (clamped !== n) {
    warnings.push(
      `NAS_SYNC_DAILY_BYTES_PER_USER ${text} is outside ${DAILY_BYTES_MIN} (${formatBinaryBytes(DAILY_BYTES_MIN)}) to ${DAILY_BYTES_MAX} ` +
        `(${formatBinaryBytes(DAILY_BYTES_MAX)}): using ${clamped} (${formatBinaryBytes(clamped)})`,
    );
  }
  return clamped;
}

/**
 * NAS_ROOT inside a share would make LINE media (1:1 chats included) searchable and sendable by
 * /find; a share inside NAS_ROOT would let the job write and delete among company files. Compared
 * on real paths (symlinks resolved; a path not there yet by its longest existing prefix).
 */
export function overlapProblems(nasRoot: string, shares: readonly Share[]): string[] {
  if (!nasRoot) return [];
  const problems: string[] = [];
  const realOf = (path: string): string | null => {
    try {
      return realPathAllowingMissing(path);
    } catch (e) {
      problems.push(`cannot resolve ${path} to compare NAS_ROOT with the shares: ${(e as Error).message}`);
      return null;
    }
  };
  const root = realOf(nasRoot);
  if (root === null) return problems;
  for (const share of shares) {
    const real = realOf(share.root);
    if (real === null) continue;
    const r = root === nasRoot ? nasRoot : `${nasRoot} (really ${root})`;
    const sh = `share ${share.name} ${real === share.root ? share.root : `${share.root} (really ${real})`}`;
    if (real === root) problems.push(`NAS_ROOT ${r} and ${sh} are the same folder`);
    else if (isWithin(real, root)) problems.push(`NAS_ROOT ${r} is inside ${sh}: LINE media (1:1 chats too) would be indexed and found by /find`);
    else if (isWithin(root, real)) problems.push(`${sh} is inside NAS_ROOT ${r}: the job would write and delete among the share's files`);
  }
  return problems;
}
